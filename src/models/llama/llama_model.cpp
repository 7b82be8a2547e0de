#include "models/llama/llama_model.h"

#include <fmt/format.h>

#include "kernels/matmul.h"
#include "kernels/packed_weights.h"
#include "models/weight_loader.h"
#include "util/error.h"

namespace edgelm {

LlamaWeights LlamaWeights::load(const GgufFile& f, const DecoderConfig& c) {
  WeightLoader ld(f);
  LlamaWeights w;
  const int64_t d = c.d_model, V = c.n_vocab, hd = c.head_dim;
  w.token_embd = ld.matrix("token_embd.weight", d, V);
  w.output = ld.optional_matrix("output.weight", d, V);
  if (!w.output.present()) w.output = w.token_embd;  // tied (Llama 3.2 1B/3B)
  w.output_norm = ld.vector("output_norm.weight", d);
  if (ld.find("rope_freqs.weight")) w.rope_freqs = ld.vector("rope_freqs.weight", c.rope_dims / 2);
  w.layers.resize(c.n_layers);
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    LlamaLayerWeights& lw = w.layers[l];
    const std::string b = fmt::format("blk.{}.", l);
    const int64_t H = c.n_head[l], KV = c.n_head_kv[l], F = c.n_ff[l];
    for (const char* bias : {"attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_output.bias", "ffn_up.bias"}) {
      ld.refuse(b + bias, "bias terms of Llama variants are not implemented");
    }
    lw.attn_norm = ld.vector(b + "attn_norm.weight", d);
    if (ld.find(b + "attn_qkv.weight")) {
      // One fused projection: rows are q, then k, then v.
      const WeightMatrix qkv = ld.matrix(b + "attn_qkv.weight", d, (H + 2 * KV) * hd);
      lw.attn_q = qkv.slice_rows(0, H * hd);
      lw.attn_k = qkv.slice_rows(H * hd, KV * hd);
      lw.attn_v = qkv.slice_rows((H + KV) * hd, KV * hd);
    } else {
      lw.attn_q = ld.matrix(b + "attn_q.weight", d, H * hd);
      lw.attn_k = ld.matrix(b + "attn_k.weight", d, KV * hd);
      lw.attn_v = ld.matrix(b + "attn_v.weight", d, KV * hd);
    }
    lw.attn_output = ld.matrix(b + "attn_output.weight", H * hd, d);
    lw.ffn_norm = ld.vector(b + "ffn_norm.weight", d);
    lw.ffn.gate = ld.matrix(b + "ffn_gate.weight", d, F);
    lw.ffn.up = ld.matrix(b + "ffn_up.weight", d, F);
    lw.ffn.down = ld.matrix(b + "ffn_down.weight", F, d);
  }
  return w;
}

std::unique_ptr<LlamaModel> LlamaModel::open(GgufFile file) {
  DecoderConfig config = DecoderConfig::from_gguf(file, "llama");
  // llama.cpp rotates whole heads for this architecture (it refuses other files).
  if (config.rope_dims != config.head_dim) {
    fail("{}: key 'llama.rope.dimension_count' is {}, expected the head size {}", file.name(), config.rope_dims,
         config.head_dim);
  }
  return std::unique_ptr<LlamaModel>(new LlamaModel(std::move(file), std::move(config)));
}

LlamaModel::LlamaModel(GgufFile file, DecoderConfig config)
    : Model(std::move(file)), config_(std::move(config)), weights_(LlamaWeights::load(this->file(), config_)) {}

void LlamaModel::pack_weights() {
  // Not token_embd / output: the embedding table is also read row by row.
  for (LlamaLayerWeights& lw : weights_.layers) {
    for (WeightMatrix* m : {&lw.attn_q, &lw.attn_k, &lw.attn_v, &lw.attn_output, &lw.ffn.gate, &lw.ffn.up, &lw.ffn.down}) {
      pack_weight_matrix(*m, true);
    }
  }
}

KvCache LlamaModel::new_cache(uint32_t n_ctx, uint32_t n_ubatch) const {
  return full_attention_cache(config_.n_head_kv, config_.head_dim, n_ctx, n_ubatch);
}

void LlamaModel::forward(KvCache& cache, const int32_t* tokens, int64_t n, ThreadPool& pool, float* logits,
                         ModelTrace* trace) const {
  const SequenceStep step{&cache, std::span<const int32_t>(tokens, static_cast<size_t>(n)), logits};
  forward_rows({&step, 1}, pool, trace);
}

void LlamaModel::forward_batch(std::span<const SequenceStep> steps, ThreadPool& pool) const {
  forward_rows(steps, pool, nullptr);
}

void LlamaModel::forward_rows(std::span<const SequenceStep> steps, ThreadPool& pool, ModelTrace* trace) const {
  const DecoderConfig& c = config_;
  const LlamaWeights& w = weights_;
  const int64_t d = c.d_model, hd = c.head_dim;
  // The rows of every sequence, each at its positions in its own cache.
  SequenceRows rows(steps);
  const int64_t n = rows.n();

  // x = token_embd[id]                                                    [n, d]
  std::vector<float> x = embed_tokens(w.token_embd, rows.tokens(), n);
  if (trace) {
    *trace = ModelTrace{};
    trace->embedding.assign(x.end() - d, x.end());
  }
  const RopeTables rope(rows.positions(), static_cast<int>(c.rope_dims), c.rope_base, w.rope_freqs);

  std::vector<float> h(static_cast<size_t>(n * d));
  ActiveRows r{x.data(), n};
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    const LlamaLayerWeights& lw = w.layers[l];
    const int64_t H = c.n_head[l], KV = c.n_head_kv[l];

    // h = rms(x, attn_norm)                                                [n, d]
    rms_norm_rows(x.data(), lw.attn_norm, n, d, c.rms_eps, h.data());

    // q = rope(attn_q·h) [n, H, hd]; k = rope(attn_k·h), v = attn_v·h [n, KV, hd] -> cache
    std::vector<float> q(static_cast<size_t>(n * H * hd)), k(static_cast<size_t>(n * KV * hd)), v(k.size());
    matmul(lw.attn_q, h.data(), n, q.data(), pool);
    matmul(lw.attn_k, h.data(), n, k.data(), pool);
    matmul(lw.attn_v, h.data(), n, v.data(), pool);
    rope.apply(RopePairing::kNormal, q.data(), H, hd);
    rope.apply(RopePairing::kNormal, k.data(), KV, hd);
    store_kv(rows, l, KV, hd, k.data(), v.data());

    // x += attn_output · softmax(q·Kᵀ / sqrt(hd)) · V                         [n, d]
    add_attention(q.data(), rows, c.attention_shape(l), l, lw.attn_output, pool, x.data());

    // x += ffn_down · (silu(ffn_gate·g) ⊙ ffn_up·g), g = rms(x, ffn_norm)  [n, d]
    r = rows_after_attention(l + 1 == c.n_layers, rows, x, d);
    rms_norm_rows(r.x, lw.ffn_norm, r.n, d, c.rms_eps, h.data());
    add_gated_ffn(lw.ffn, FfnActivation::kSilu, h.data(), r.n, pool, r.x);
    if (trace) trace->layer_output.emplace_back(x.end() - d, x.end());
  }
  rows.end();

  // logits = output · rms(x_last, output_norm) per sequence that wants them       [V]
  final_logits(r.x, rows, w.output_norm, c.rms_eps, w.output, pool, trace);
}

}  // namespace edgelm
