#pragma once
// Synthetic Gemma 4 GGUF files: the exact tensor names, shapes, metadata and type mix
// of real converted models, filled with seeded random weights, plus a real vocabulary
// copied from a vocab GGUF. No trained weights exist on our machines; these files are
// what parity tests and benchmarks run on.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/gemma4/gemma4_config.h"
#include "quant/tensor_type.h"

namespace edgelm {

// Presets: "tiny" (every feature, small dims), "e2b", "e4b" (real dimensions).
std::vector<std::string> gemma4_preset_names();
struct Gemma4Preset {
  Gemma4Config config;      // n_vocab is left 0: it comes from the vocabulary
  int layer_without_attn_v = -1;  // a KV-owning layer written without attn_v (V = K)
};
// Throws edgelm::Error listing the presets when `name` is unknown.
Gemma4Preset gemma4_preset(const std::string& name);

struct SynthOptions {
  std::string preset = "tiny";
  TensorType quant = TensorType::F32;
  std::string vocab_path;   // vocab-only (or any) GGUF whose tokenizer.* keys are copied
  uint64_t seed = 42;
  std::string out_path;
  int threads = 1;
  // Per-tensor type overrides, first match wins: weights whose name matches the regex
  // (std::regex_search) get that type instead of the rule-based one (still subject to
  // the block-size fallback). Like llama-quantize's --tensor-type.
  std::vector<std::pair<std::string, TensorType>> tensor_types;
  // Called with (bytes written, bytes total) as the file fills; may be empty.
  std::function<void(uint64_t, uint64_t)> progress;
};

struct SynthReport {
  uint64_t file_bytes = 0;
  uint64_t n_tensors = 0;
  uint32_t n_vocab = 0;
};

SynthReport synth_gemma4(const SynthOptions& options);

// The tensor type a synthetic (or quantized) file uses for one weight, given the
// requested file type: embedding tables get Q6_K in 4-bit files, Q4_K files use Q6_K
// for attn_v/ffn_down on the "more bits" layers (as Q4_K_M does), and rows whose
// length is not a multiple of the block size fall back to Q8_0, then F16.
TensorType gemma4_weight_type(TensorType requested, const std::string& tensor_name, int layer, uint32_t n_layers,
                              int64_t row_length);

// llama.cpp's general.file_type number for a requested type (e.g. q4_k -> Q4_K_M = 15).
uint32_t llama_file_type(TensorType requested);

}  // namespace edgelm
