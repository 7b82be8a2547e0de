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
#include "models/model.h"
#include "runtime/kv_cache.h"

namespace edgelm {

class ThreadPool;

// The trace of a Gemma 4 forward pass (per_layer_input filled).
using Gemma4Trace = ModelTrace;

class Gemma4Model final : public Model {
 public:
  // Maps and validates a gemma4 GGUF (hyper-parameters, every tensor's shape and type).
  static std::unique_ptr<Gemma4Model> open(const std::string& path);
  static std::unique_ptr<Gemma4Model> open(GgufFile file);

  const Gemma4Config& config() const { return config_; }
  const Gemma4Weights& weights() const { return weights_; }

  std::string_view architecture() const override { return "gemma4"; }
  uint32_t n_vocab() const override { return config_.n_vocab; }
  uint32_t n_layers() const override { return config_.n_layers; }
  uint32_t context_length() const override { return config_.context_length; }
  KvCache new_cache(uint32_t n_ctx, uint32_t n_ubatch) const override;
  uint64_t scratch_bytes(const KvCache& cache, uint32_t n_ubatch, int threads) const override;
  void pack_weights() override;

  // Image rows (vision.md §6): d_model wide, read in place of token embeddings. Every
  // Gemma 4 size except E2B (d_model 1536) and E4B (2560) reads an image both ways in
  // its sliding layers, as llama.cpp does.
  uint32_t embedding_width() const override { return config_.d_model; }
  bool images_bidirectional() const override { return config_.d_model != 1536 && config_.d_model != 2560; }

 private:
  // One micro-batch's input: token ids, or embedding rows (used as they are, no sqrt(d)
  // scale; their per-layer token part is the padding token's, id 0).
  struct UbatchInput {
    const float* embeddings = nullptr;  // [n_embedding_rows, d] for one sequence, or null: the steps' tokens
    int64_t n_embedding_rows = 0;
    bool bidirectional_sliding = false;
  };
  Gemma4Model(GgufFile file, Gemma4Config config);
  void forward(KvCache& cache, const int32_t* tokens, int64_t n, ThreadPool& pool, float* logits,
               ModelTrace* trace) const override;
  void forward_embeddings(KvCache& cache, const float* rows, int64_t n, bool bidirectional_sliding, ThreadPool& pool,
                          float* logits) const override;
  void forward_batch(std::span<const SequenceStep> steps, ThreadPool& pool) const override;
  // The forward pass over the rows of one or more sequences: `steps` give each its
  // cache, its tokens (unless `input` has embedding rows, for one step) and its logits.
  void forward_ubatch(std::span<const SequenceStep> steps, const UbatchInput& input, ThreadPool& pool,
                      ModelTrace* trace) const;

  Gemma4Config config_;
  Gemma4Weights weights_;
};

}  // namespace edgelm
