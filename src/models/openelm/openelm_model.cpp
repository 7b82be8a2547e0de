#include "models/openelm/openelm_model.h"

#include <fmt/format.h>

#include "kernels/matmul.h"
#include "kernels/packed_weights.h"
#include "models/weight_loader.h"

namespace edgelm {

OpenElmWeights OpenElmWeights::load(const GgufFile& f, const DecoderConfig& c) {
  WeightLoader ld(f);
  OpenElmWeights w;
  const int64_t d = c.d_model, V = c.n_vocab, hd = c.head_dim;
  w.token_embd = ld.matrix("token_embd.weight", d, V);
  w.output_norm = ld.vector("output_norm.weight", d);
  w.layers.resize(c.n_layers);
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    OpenElmLayerWeights& lw = w.layers[l];
    const std::string b = fmt::format("blk.{}.", l);
    const int64_t H = c.n_head[l], KV = c.n_head_kv[l], F = c.n_ff[l];
    lw.attn_norm = ld.vector(b + "attn_norm.weight", d);
    // One fused projection: rows are the q heads, then the k heads, then the v heads.
    const WeightMatrix qkv = ld.matrix(b + "attn_qkv.weight", d, (H + 2 * KV) * hd);
    lw.attn_q = qkv.slice_rows(0, H * hd);
    lw.attn_k = qkv.slice_rows(H * hd, KV * hd);
    lw.attn_v = qkv.slice_rows((H + KV) * hd, KV * hd);
    lw.attn_q_norm = ld.vector(b + "attn_q_norm.weight", hd);
    lw.attn_k_norm = ld.vector(b + "attn_k_norm.weight", hd);
    lw.attn_output = ld.matrix(b + "attn_output.weight", H * hd, d);
    lw.ffn_norm = ld.vector(b + "ffn_norm.weight", d);
    lw.ffn.gate = ld.matrix(b + "ffn_gate.weight", d, F);
    lw.ffn.up = ld.matrix(b + "ffn_up.weight", d, F);
    lw.ffn.down = ld.matrix(b + "ffn_down.weight", F, d);
  }
  return w;
}

std::unique_ptr<OpenElmModel> OpenElmModel::open(GgufFile file) {
  DecoderConfig config = DecoderConfig::from_gguf(file, "openelm");
  return std::unique_ptr<OpenElmModel>(new OpenElmModel(std::move(file), std::move(config)));
}

OpenElmModel::OpenElmModel(GgufFile file, DecoderConfig config)
    : Model(std::move(file)), config_(std::move(config)), weights_(OpenElmWeights::load(this->file(), config_)) {}

void OpenElmModel::pack_weights() {
  // Not token_embd / output: the embedding table is also read row by row.
  for (OpenElmLayerWeights& lw : weights_.layers) {
    for (WeightMatrix* m : {&lw.attn_q, &lw.attn_k, &lw.attn_v, &lw.attn_output, &lw.ffn.gate, &lw.ffn.up, &lw.ffn.down}) {
      pack_weight_matrix(*m, true);
    }
  }
}

KvCache OpenElmModel::new_cache(uint32_t n_ctx, uint32_t n_ubatch) const {
  return full_attention_cache(config_.n_head_kv, config_.head_dim, n_ctx, n_ubatch);
}

void OpenElmModel::forward(KvCache& cache, const int32_t* tokens, int64_t n, ThreadPool& pool, float* logits,
                           ModelTrace* trace) const {
  const SequenceStep step{&cache, std::span<const int32_t>(tokens, static_cast<size_t>(n)), logits};
  forward_rows({&step, 1}, pool, trace);
}

void OpenElmModel::forward_batch(std::span<const SequenceStep> steps, ThreadPool& pool) const {
  forward_rows(steps, pool, nullptr);
}

void OpenElmModel::forward_rows(std::span<const SequenceStep> steps, ThreadPool& pool, ModelTrace* trace) const {
  const DecoderConfig& c = config_;
  const OpenElmWeights& w = weights_;
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
  const RopeTables rope(rows.positions(), static_cast<int>(c.rope_dims), c.rope_base, {});

  std::vector<float> h(static_cast<size_t>(n * d));
  ActiveRows r{x.data(), n};
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    const OpenElmLayerWeights& lw = w.layers[l];
    const int64_t H = c.n_head[l], KV = c.n_head_kv[l];

    // h = rms(x, attn_norm)                                                [n, d]
    rms_norm_rows(x.data(), lw.attn_norm, n, d, c.rms_eps, h.data());

    // q = rope(rms(q_h, q_norm)) per head [n, H_l, hd];
    // k = rope(rms(k_h, k_norm)), v = v_h [n, KV_l, hd] -> cache
    std::vector<float> q(static_cast<size_t>(n * H * hd)), k(static_cast<size_t>(n * KV * hd)), v(k.size());
    matmul(lw.attn_q, h.data(), n, q.data(), pool);
    matmul(lw.attn_k, h.data(), n, k.data(), pool);
    matmul(lw.attn_v, h.data(), n, v.data(), pool);
    rms_norm_rows(q.data(), lw.attn_q_norm, n * H, hd, c.rms_eps, q.data());
    rms_norm_rows(k.data(), lw.attn_k_norm, n * KV, hd, c.rms_eps, k.data());
    rope.apply(RopePairing::kNeox, q.data(), H, hd);
    rope.apply(RopePairing::kNeox, k.data(), KV, hd);
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

  // logits = token_embd · rms(x_last, output_norm) per sequence that wants them   [V]
  final_logits(r.x, rows, w.output_norm, c.rms_eps, w.token_embd, pool, trace);
}

}  // namespace edgelm
