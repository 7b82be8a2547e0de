#pragma once
// `edgelm run -p TEXT`: one reply to a text prompt, streamed to stdout. The prompt
// goes through the model's chat template as a user turn unless `raw`.
#include <string>
#include <vector>

#include "runtime/kv_cache.h"
#include "sample/sampling_params.h"

namespace edgelm::cli {

struct TextRunOptions {
  std::string model;
  std::string prompt;
  std::string system;
  std::string template_path;
  bool raw = false;
  bool think = false;
  std::vector<std::string> stops;
  int n_predict = -1;
  bool ignore_eos = false;
  // Token level (for comparisons with llama.cpp): print the generated token ids on one
  // line instead of the text, feed `force_ids` first (teacher forcing), and write each
  // step's distribution to `probs_out` (see cli/probs_output.h).
  bool print_ids = false;
  std::vector<int32_t> force_ids;
  std::string probs_out;
  SamplingParams sampling;
  uint32_t ctx = 4096;
  bool ctx_given = false;  // else ctx is capped at the model's context length
  uint32_t ubatch = 512;
  int threads = 0;
  KvCacheOptions kv;
  bool mem = false;  // print the measured memory afterwards
  std::string mmproj;               // vision encoder for the images
  std::vector<std::string> images;  // image files, shown before the prompt text (or at its markers)
};

int run_text(const TextRunOptions& o);

}  // namespace edgelm::cli
