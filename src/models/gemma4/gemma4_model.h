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

  // An empty cache for one sequence of up to n_ctx tokens processed in micro-batches
  // of at most n_ubatch tokens.
  KvCache new_cache(uint32_t n_ctx, uint32_t n_ubatch) const;

  // Appends `tokens` at positions cache.n_past() onward, in micro-batches of at most
  // n_ubatch, and writes the last token's logits (n_vocab floats) to `logits`.
  // Throws edgelm::Error when the context would overflow or a token id is out of range.
  // With `trace`, also records the last token's intermediate values.
  void eval(KvCache& cache, std::span<const int32_t> tokens, uint32_t n_ubatch, ThreadPool& pool,
            float* logits, Gemma4Trace* trace = nullptr) const;

  // Appends rows given as embeddings instead of token ids (an image's, spec vision.md
  // §6): `rows` holds n rows of d_model values, used as they are (no sqrt(d) scale);
  // their per-layer token part is the padding token's (id 0). With
  // `bidirectional_sliding` the sliding-window layers let the rows see each other in
  // both directions, which needs them all in one micro-batch (n <= n_ubatch, else an
  // error); otherwise they are causal like text.
  void eval_embeddings(KvCache& cache, std::span<const float> rows, uint32_t n_ubatch, ThreadPool& pool,
                       float* logits, bool bidirectional_sliding) const;
  // Whether an image's rows are decoded bidirectionally in the sliding layers: as in
  // llama.cpp, every Gemma 4 size except E2B (d_model 1536) and E4B (2560).
  bool images_bidirectional() const { return config_.d_model != 1536 && config_.d_model != 2560; }

 private:
  // One micro-batch's input: token ids, or embedding rows (whose ids count as the
  // padding token for the per-layer inputs).
  struct UbatchInput {
    const int32_t* tokens = nullptr;
    const float* embeddings = nullptr;
    bool bidirectional_sliding = false;
  };
  Gemma4Model(GgufFile file, Gemma4Config config);
  void check_room(const KvCache& cache, size_t n, uint32_t n_ubatch) const;
  void forward_ubatch(KvCache& cache, const UbatchInput& input, int64_t n, ThreadPool& pool, float* logits,
                      Gemma4Trace* trace) const;

  GgufFile file_;
  Gemma4Config config_;
  Gemma4Weights weights_;
};

}  // namespace edgelm
