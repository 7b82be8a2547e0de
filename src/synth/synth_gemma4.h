#pragma once
// Synthetic Gemma 4 GGUF files: the exact tensor names, shapes, metadata and type mix
// of real converted models, filled with seeded random weights, plus a real vocabulary
// copied from a vocab GGUF. No trained weights exist on our machines; these files are
// what parity tests and benchmarks run on.
#include <cstdint>
#include <string>
#include <vector>

#include "models/gemma4/gemma4_config.h"
#include "quant/tensor_type.h"
#include "synth/synth_options.h"

namespace edgelm {

// Presets: "tiny" (every feature, small dims), "e2b", "e4b" (real dimensions).
std::vector<std::string> gemma4_preset_names();
struct Gemma4Preset {
  Gemma4Config config;      // n_vocab is left 0: it comes from the vocabulary
  int layer_without_attn_v = -1;  // a KV-owning layer written without attn_v (V = K)
};
// Throws edgelm::Error listing the presets when `name` is unknown.
Gemma4Preset gemma4_preset(const std::string& name);

SynthReport synth_gemma4(const SynthOptions& options);

}  // namespace edgelm
