#pragma once
// What `edgelm synth` is asked for and what it reports, whatever the architecture.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "quant/tensor_type.h"

namespace edgelm {

struct SynthOptions {
  std::string preset = "tiny";
  TensorType quant = TensorType::F32;
  std::string vocab_path;   // vocab-only (or any) GGUF whose tokenizer.* keys are copied
  // Jinja chat template text written as tokenizer.chat_template when the vocabulary
  // has none and the preset is a chat model (empty: none).
  std::string chat_template;
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

}  // namespace edgelm
