#pragma once
// Gemma 4 text model: loading and the forward pass (spec: gemma4.md §3-6).
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gguf/gguf_reader.h"
#include "models/gemma4/gemma4_config.h"
#include "models/gemma4/gemma4_weights.h"
#include "runtime/kv_cache.h"

namespace edgelm {

class ThreadPool;

// Intermediate values of the last token of an eval() call, for diagnosing a mismatch
// layer by layer against the reference implementation (tests/reference).
struct Gemma4Trace {
  std::vector<float> embedding;                      // x after the sqrt(d) scale   [d]
  std::vector<std::vector<float>> per_layer_input;   // ple[l]                      [L][P]
  std::vector<std::vector<float>> layer_output;      // x after each layer          [L][d]
  std::vector<float> final_norm;                     // rms(x, output_norm)         [d]
};

class Gemma4Model {
 public:
  // Maps and validates a gemma4 GGUF (hyper-parameters, every tensor's shape and type).
  static std::unique_ptr<Gemma4Model> open(const std::string& path);

  const Gemma4Config& config() const { return config_; }
  const GgufFile& file() const { return file_; }
  const Gemma4Weights& weights() const { return weights_; }

  // Makes packed copies of the matrices the SIMD kernels read faster that way, and
  // releases their pages of the mapping (kernels/packed_weights.h). Call once after
  // opening (and after any prefetch, which would bring the pages back).
  void pack_weights();

  // An empty cache for one sequence of up to n_ctx tokens processed in micro-batches
  // of at most n_ubatch tokens.
  KvCache new_cache(uint32_t n_ctx, uint32_t n_ubatch) const;

  // Appends `tokens` at positions cache.n_past() onward, in micro-batches of at most
  // n_ubatch, and writes the last token's logits (n_vocab floats) to `logits`.
  // Throws edgelm::Error when the context would overflow or a token id is out of range.
  // With `trace`, also records the last token's intermediate values.
  void eval(KvCache& cache, std::span<const int32_t> tokens, uint32_t n_ubatch, ThreadPool& pool,
            float* logits, Gemma4Trace* trace = nullptr) const;

 private:
  Gemma4Model(GgufFile file, Gemma4Config config);
  void forward_ubatch(KvCache& cache, const int32_t* tokens, int64_t n, ThreadPool& pool, float* logits,
                      Gemma4Trace* trace) const;

  GgufFile file_;
  Gemma4Config config_;
  Gemma4Weights weights_;
};

}  // namespace edgelm
