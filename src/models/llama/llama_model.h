#pragma once
// Llama (3.x) text model: loading and the forward pass (spec: peers.md). The block:
//   h = x + attn_output · attention(rope(q), rope(k), v)   on rms(x, attn_norm)
//   x = h + ffn_down · (silu(ffn_gate · g) ⊙ ffn_up · g)    g = rms(h, ffn_norm)
// with "normal" RoPE pairing and, for Llama 3, per-pair frequency factors (rope_freqs).
#include <memory>
#include <string>
#include <vector>

#include "models/blocks.h"
#include "models/decoder_config.h"
#include "models/model.h"

namespace edgelm {

struct LlamaLayerWeights {
  std::vector<float> attn_norm;    // [d]
  WeightMatrix attn_q;             // [d, H·hd]
  WeightMatrix attn_k, attn_v;     // [d, KV·hd]
  WeightMatrix attn_output;        // [H·hd, d]
  std::vector<float> ffn_norm;     // [d]
  GatedFfnWeights ffn;             // [d, F] ×2, [F, d]
};

struct LlamaWeights {
  WeightMatrix token_embd;         // [d, V]
  WeightMatrix output;             // [d, V] (= token_embd when tied)
  std::vector<float> output_norm;  // [d]
  std::vector<float> rope_freqs;   // [rope_dims / 2], empty = all 1
  std::vector<LlamaLayerWeights> layers;

  static LlamaWeights load(const GgufFile& file, const DecoderConfig& config);
};

class LlamaModel final : public Model {
 public:
  static std::unique_ptr<LlamaModel> open(GgufFile file);

  const DecoderConfig& config() const { return config_; }
  std::string_view architecture() const override { return "llama"; }
  uint32_t n_vocab() const override { return config_.n_vocab; }
  uint32_t n_layers() const override { return config_.n_layers; }
  uint32_t context_length() const override { return config_.context_length; }
  KvCache new_cache(uint32_t n_ctx, uint32_t n_ubatch) const override;
  void pack_weights() override;

 private:
  LlamaModel(GgufFile file, DecoderConfig config);
  void forward(KvCache& cache, const int32_t* tokens, int64_t n, ThreadPool& pool, float* logits,
               ModelTrace* trace) const override;
  void forward_batch(std::span<const SequenceStep> steps, ThreadPool& pool) const override;
  // The forward pass over the rows of one or more sequences (blocks.h SequenceRows).
  void forward_rows(std::span<const SequenceStep> steps, ThreadPool& pool, ModelTrace* trace) const;

  DecoderConfig config_;
  LlamaWeights weights_;
};

}  // namespace edgelm
