#pragma once
// Apple OpenELM text model: loading and the forward pass (spec: peers.md). The Llama
// block with layer-wise scaling (per-layer query/KV head counts and FFN widths), one
// fused q/k/v projection, and q and k RMS-normed per head before NeoX RoPE:
//   h = x + attn_output · attention(rope(rms(q)), rope(rms(k)), v)   on rms(x, attn_norm)
//   x = h + ffn_down · (silu(ffn_gate · g) ⊙ ffn_up · g)              g = rms(h, ffn_norm)
#include <memory>
#include <string>
#include <vector>

#include "models/blocks.h"
#include "models/decoder_config.h"
#include "models/model.h"

namespace edgelm {

struct OpenElmLayerWeights {
  std::vector<float> attn_norm;    // [d]
  WeightMatrix attn_q;             // [d, H_l·hd]   } rows of the fused attn_qkv
  WeightMatrix attn_k, attn_v;     // [d, KV_l·hd]  }
  std::vector<float> attn_q_norm;  // [hd]
  std::vector<float> attn_k_norm;  // [hd]
  WeightMatrix attn_output;        // [H_l·hd, d]
  std::vector<float> ffn_norm;     // [d]
  GatedFfnWeights ffn;             // [d, F_l] ×2, [F_l, d]
};

struct OpenElmWeights {
  WeightMatrix token_embd;         // [d, V], also the output head (tied)
  std::vector<float> output_norm;  // [d]
  std::vector<OpenElmLayerWeights> layers;

  static OpenElmWeights load(const GgufFile& file, const DecoderConfig& config);
};

class OpenElmModel final : public Model {
 public:
  static std::unique_ptr<OpenElmModel> open(GgufFile file);

  const DecoderConfig& config() const { return config_; }
  std::string_view architecture() const override { return "openelm"; }
  uint32_t n_vocab() const override { return config_.n_vocab; }
  uint32_t n_layers() const override { return config_.n_layers; }
  uint32_t context_length() const override { return config_.context_length; }
  KvCache new_cache(uint32_t n_ctx, uint32_t n_ubatch) const override;
  void pack_weights() override;

 private:
  OpenElmModel(GgufFile file, DecoderConfig config);
  void forward(KvCache& cache, const int32_t* tokens, int64_t n, ThreadPool& pool, float* logits,
               ModelTrace* trace) const override;
  void forward_batch(std::span<const SequenceStep> steps, ThreadPool& pool) const override;
  // The forward pass over the rows of one or more sequences (blocks.h SequenceRows).
  void forward_rows(std::span<const SequenceStep> steps, ThreadPool& pool, ModelTrace* trace) const;

  DecoderConfig config_;
  OpenElmWeights weights_;
};

}  // namespace edgelm
