#pragma once
// Synthetic GGUFs of the Llama-family peers (architectures llama and openelm): the
// tensor names, shapes, metadata and type mix of real converted files, seeded random
// weights, a real vocabulary (spec: peers.md).
#include <string>
#include <vector>

#include "models/decoder_config.h"
#include "synth/synth_options.h"

namespace edgelm {

// "llama-tiny", "llama3.2-3b", "openelm-tiny", "openelm-3b".
std::vector<std::string> decoder_preset_names();
bool is_decoder_preset(const std::string& name);

struct DecoderPreset {
  DecoderConfig config;           // n_vocab is left 0: it comes from the vocabulary
  std::vector<float> rope_freqs;  // Llama 3 frequency factors (empty: no tensor)
  bool chat = false;              // an instruct model: write the chat template
  std::string vocab_file;         // the matching real vocabulary in testdata/vocab
};
// Throws edgelm::Error listing the presets when `name` is unknown.
DecoderPreset decoder_preset(const std::string& name);

// Llama 3's long-context RoPE factors, one per rotated pair, as the converter computes
// them from rope_scaling {factor, low_freq_factor, high_freq_factor,
// original_max_position_embeddings}.
std::vector<float> llama3_rope_factors(uint32_t head_dim, float base, float factor, float low_freq_factor,
                                       float high_freq_factor, float original_context);

SynthReport synth_decoder(const SynthOptions& options);

}  // namespace edgelm
