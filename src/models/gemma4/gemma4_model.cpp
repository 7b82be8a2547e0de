#include "models/gemma4/gemma4_model.h"
#include "models/gemma4/gemma4_memory.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "kernels/packed_weights.h"
#include "models/blocks.h"
#include "quant/dequantize.h"
#include "runtime/attention.h"
#include "runtime/thread_pool.h"
#include "util/error.h"
#include "util/half.h"

namespace edgelm {

std::unique_ptr<Gemma4Model> Gemma4Model::open(const std::string& path) { return open(GgufFile::open(path)); }

std::unique_ptr<Gemma4Model> Gemma4Model::open(GgufFile file) {
  Gemma4Config config = Gemma4Config::from_gguf(file);
  return std::unique_ptr<Gemma4Model>(new Gemma4Model(std::move(file), std::move(config)));
}

Gemma4Model::Gemma4Model(GgufFile file, Gemma4Config config)
    : Model(std::move(file)), config_(std::move(config)), weights_(Gemma4Weights::load(this->file(), config_)) {}

void Gemma4Model::pack_weights() {
  // The output head may be the embedding table itself (tied): the lookups keep reading
  // its rows from the mapping, which faults back in just the rows they touch.
  pack_weight_matrix(weights_.output, true);
  pack_weight_matrix(weights_.per_layer_model_proj, true);
  for (Gemma4LayerWeights& lw : weights_.layers) {
    for (WeightMatrix* m : {&lw.attn_q, &lw.attn_k, &lw.attn_v, &lw.attn_output, &lw.ffn_gate, &lw.ffn_up,
                            &lw.ffn_down, &lw.inp_gate, &lw.proj}) {
      pack_weight_matrix(*m, true);
    }
  }
}

KvCache Gemma4Model::new_cache(uint32_t n_ctx, uint32_t n_ubatch) const {
  return KvCache(gemma4_kv_layout(config_, n_ctx, n_ubatch), n_ctx, n_ubatch);
}

uint64_t Gemma4Model::scratch_bytes(const KvCache& cache, uint32_t n_ubatch, int threads) const {
  return gemma4_scratch_bytes(config_, cache, n_ubatch, threads);
}

void Gemma4Model::forward(KvCache& cache, const int32_t* tokens, int64_t n, ThreadPool& pool, float* logits,
                          ModelTrace* trace) const {
  const SequenceStep step{&cache, std::span<const int32_t>(tokens, static_cast<size_t>(n)), logits};
  forward_ubatch({&step, 1}, {}, pool, trace);
}

void Gemma4Model::forward_batch(std::span<const SequenceStep> steps, ThreadPool& pool) const {
  forward_ubatch(steps, {}, pool, nullptr);
}

void Gemma4Model::forward_embeddings(KvCache& cache, const float* rows, int64_t n, bool bidirectional_sliding,
                                     ThreadPool& pool, float* logits) const {
  const SequenceStep step{&cache, {}, logits};
  forward_ubatch({&step, 1},
                 {.embeddings = rows, .n_embedding_rows = n, .bidirectional_sliding = bidirectional_sliding}, pool,
                 nullptr);
}

void Gemma4Model::forward_ubatch(std::span<const SequenceStep> steps, const UbatchInput& input, ThreadPool& pool,
                                 ModelTrace* trace) const {
  const Gemma4Config& c = config_;
  const Gemma4Weights& w = weights_;
  const int64_t d = c.d_model, P = c.per_layer_dim, L = c.n_layers;

  // The rows of every sequence, each at its positions in its own cache. Embedding rows
  // take the padding token's per-layer embedding, id 0 (vision.md §6).
  SequenceRows rows = input.embeddings ? SequenceRows(steps[0], input.n_embedding_rows) : SequenceRows(steps);
  const int64_t n = rows.n();
  const size_t S = rows.n_sequences();
  const int32_t* ids = rows.tokens();
  const std::span<const uint32_t> position = rows.positions();

  // x = token_embd[id] · sqrt(d), or the given embedding rows as they are [n, d]
  // The steps between the matrix products work row by row: they are split across the
  // threads too (a prompt's rows at a time; one row runs inline).
  auto each_row = [&pool, n](auto&& fn) {
    pool.parallel_ranges(n, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) fn(t);
    });
  };
  // out = rms(in, weight) for every row of a [n, d] buffer (out may be in).
  auto norm_rows = [&pool, n, d, eps = c.rms_eps](const float* in, const std::vector<float>& weight, float* out) {
    pool.parallel_ranges(n, [&](int64_t b, int64_t e) { rms_norm_rows(in + b * d, weight.data(), e - b, d, eps, out + b * d); });
  };
  // out = rms(r, weight) + residual, row by row, for [n, d] buffers (r is normalized in
  // place; out may be r or residual).
  auto norm_add = [&pool, n, d, eps = c.rms_eps](float* r, const std::vector<float>& weight, const float* residual,
                                                 float* out) {
    pool.parallel_ranges(n, [&](int64_t b, int64_t e) {
      rms_norm_rows(r + b * d, weight.data(), e - b, d, eps, r + b * d);
      for (int64_t i = b * d; i < e * d; ++i) out[i] = r[i] + residual[i];
    });
  };

  std::vector<float> x(static_cast<size_t>(n * d));
  const float embd_scale = std::sqrt(static_cast<float>(d));
  if (input.embeddings) std::copy(input.embeddings, input.embeddings + n * d, x.begin());
  else {
    each_row([&](int64_t t) {
      float* xt = x.data() + t * d;
      dequantize_row(w.token_embd.type, w.token_embd.data + static_cast<uint64_t>(ids[t]) * w.token_embd.row_bytes,
                     xt, d);
      for (int64_t i = 0; i < d; ++i) xt[i] *= embd_scale;
    });
  }
  // Copies the last row of a [n, width] buffer into the trace (one sequence).
  auto last_row = [n](const std::vector<float>& buf, int64_t width, int64_t offset = 0) {
    const auto* p = buf.data() + (n - 1) * width + offset;
    return std::vector<float>(p, p + width);
  };
  if (trace) {
    *trace = Gemma4Trace{};
    trace->embedding = last_row(x, d);
  }

  // Per-layer inputs, once per token for all layers                       [n, L, P]
  //   ple = (rms(proj·x / sqrt(d), per_layer_proj_norm) + per_layer_token_embd[id]·sqrt(P)) / sqrt(2)
  std::vector<float> ple;
  if (P > 0) {
    ple.resize(static_cast<size_t>(n * L * P));
    matmul(w.per_layer_model_proj, x.data(), n, ple.data(), pool);
    const float proj_scale = 1.0f / std::sqrt(static_cast<float>(d));
    const float tok_scale = std::sqrt(static_cast<float>(P));
    const float mix_scale = 1.0f / std::sqrt(2.0f);
    pool.parallel_ranges(n, [&](int64_t b, int64_t e) {
      std::vector<float> row(static_cast<size_t>(L * P));
      for (int64_t t = b; t < e; ++t) {
        const WeightMatrix& pt = w.per_layer_token_embd;
        dequantize_row(pt.type, pt.data + static_cast<uint64_t>(ids[t]) * pt.row_bytes, row.data(), L * P);
        float* m = ple.data() + t * L * P;
        for (int64_t i = 0; i < L * P; ++i) m[i] *= proj_scale;
        rms_norm_rows(m, w.per_layer_proj_norm.data(), L, P, c.rms_eps, m);
        for (int64_t i = 0; i < L * P; ++i) m[i] = (m[i] + row[i] * tok_scale) * mix_scale;
      }
    });
    if (trace) {
      for (int64_t l = 0; l < L; ++l) {
        const float* m = ple.data() + ((n - 1) * L + l) * P;
        trace->per_layer_input.emplace_back(m, m + P);
      }
    }
  }

  // RoPE tables per token for both layer types.
  const int rot_full = static_cast<int>(c.rope_dims_full), rot_swa = static_cast<int>(c.rope_dims_swa);
  std::vector<float> cos_full(static_cast<size_t>(n * rot_full / 2)), sin_full(cos_full.size());
  std::vector<float> cos_swa(static_cast<size_t>(n * rot_swa / 2)), sin_swa(cos_swa.size());
  const float* freqs = w.rope_freqs.empty() ? nullptr : w.rope_freqs.data();
  for (int64_t t = 0; t < n; ++t) {
    rope_tables(position[t], rot_full, c.rope_base_full, freqs, cos_full.data() + t * rot_full / 2,
                sin_full.data() + t * rot_full / 2);
    rope_tables(position[t], rot_swa, c.rope_base_swa, nullptr, cos_swa.data() + t * rot_swa / 2,
                sin_swa.data() + t * rot_swa / 2);
  }

  std::vector<float> h(static_cast<size_t>(n * d)), a1(static_cast<size_t>(n * d));
  // The layers' other activations, sized for the widest layer once per pass and not
  // zero-filled: each step writes its buffer whole before anything reads it (zeroing
  // them layer after layer, on the calling thread while the others waited, was ~1.5 %
  // of a prompt's time).
  int64_t widest_q = 0, widest_kv = 0, widest_ff = 0;
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    widest_q = std::max<int64_t>(widest_q, int64_t{c.n_head[l]} * c.head_dim(l));
    widest_kv = std::max<int64_t>(widest_kv, int64_t{c.n_head_kv[l]} * c.head_dim(l));
    widest_ff = std::max<int64_t>(widest_ff, c.n_ff[l]);
  }
  auto scratch = [n](int64_t width) { return std::make_unique_for_overwrite<float[]>(static_cast<size_t>(n * width)); };
  const auto q = scratch(widest_q), attn = scratch(widest_q), k = scratch(widest_kv), v = scratch(widest_kv);
  const auto gate = scratch(widest_ff), up = scratch(widest_ff), g = scratch(P);
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    const Gemma4LayerWeights& lw = w.layers[l];
    const int64_t hd = c.head_dim(l), H = c.n_head[l], KV = c.n_head_kv[l], F = c.n_ff[l];
    const bool sliding = c.is_sliding[l];
    const int rot = sliding ? rot_swa : rot_full;
    const float* cos_t = sliding ? cos_swa.data() : cos_full.data();
    const float* sin_t = sliding ? sin_swa.data() : sin_full.data();

    // h = rms(x, attn_norm)                                                [n, d]
    norm_rows(x.data(), lw.attn_norm, h.data());

    // q = rope(rms(attn_q·h, q_norm)) per head                             [n, H, hd]
    matmul(lw.attn_q, h.data(), n, q.get(), pool);
    pool.parallel_ranges(n, [&](int64_t b, int64_t e) {
      rms_norm_rows(q.get() + b * H * hd, lw.attn_q_norm.data(), (e - b) * H, hd, c.rms_eps, q.get() + b * H * hd);
      for (int64_t t = b; t < e; ++t) {
        for (int64_t i = 0; i < H; ++i) rope_neox_apply(q.get() + (t * H + i) * hd, rot, cos_t + t * rot / 2, sin_t + t * rot / 2);
      }
    });

    // Layers that own KV append k = rope(rms(k, k_norm)), v = rms(v) to their cache.
    if (c.owns_kv(l)) {
      matmul(lw.attn_k, h.data(), n, k.get(), pool);
      if (lw.attn_v.present()) matmul(lw.attn_v, h.data(), n, v.get(), pool);
      else std::copy(k.get(), k.get() + n * KV * hd, v.get());  // no attn_v: V is the raw K projection
      pool.parallel_ranges(n, [&](int64_t b, int64_t e) {
        float* kb = k.get() + b * KV * hd;
        float* vb = v.get() + b * KV * hd;
        rms_norm_rows(kb, lw.attn_k_norm.data(), (e - b) * KV, hd, c.rms_eps, kb);
        rms_norm_rows(vb, nullptr, (e - b) * KV, hd, c.rms_eps, vb);
        for (int64_t t = b; t < e; ++t) {
          for (int64_t j = 0; j < KV; ++j) rope_neox_apply(k.get() + (t * KV + j) * hd, rot, cos_t + t * rot / 2, sin_t + t * rot / 2);
        }
      });
      store_kv(rows, l, KV, hd, k.get(), v.get());
    }

    // Attention per token and head over the visible positions of the source cache.
    AttentionShape shape;
    shape.n_head = static_cast<uint32_t>(H);
    shape.n_head_kv = static_cast<uint32_t>(KV);
    shape.head_dim = static_cast<uint32_t>(hd);
    shape.window = sliding ? c.sliding_window : 0;
    shape.scale = 1.0f;  // the q/k norms replace 1/sqrt(hd)
    shape.see_whole_batch = sliding && input.bidirectional_sliding;
    for (size_t s = 0; s < S; ++s) {
      attention(q.get() + rows.first(s) * H * hd, rows.count(s), rows.p0(s), shape, *rows.step(s).cache,
                c.kv_source_layer(l), pool, attn.get() + rows.first(s) * H * hd);
    }

    // a1 = rms(attn_output·attn, post_attention_norm) + x                  [n, d]
    matmul(lw.attn_output, attn.get(), n, a1.data(), pool);
    norm_add(a1.data(), lw.post_attention_norm, x.data(), a1.data());

    // y = rms(ffn_down·(gelu(gate·g) ⊙ up·g), post_ffw_norm) + a1, g = rms(a1, ffn_norm)
    norm_rows(a1.data(), lw.ffn_norm, h.data());
    matmul(lw.ffn_gate, h.data(), n, gate.get(), pool);
    matmul(lw.ffn_up, h.data(), n, up.get(), pool);
    pool.parallel_ranges(n, [&](int64_t b, int64_t e) {
      geglu(gate.get() + b * F, up.get() + b * F, (e - b) * F, gate.get() + b * F);
    });
    matmul(lw.ffn_down, gate.get(), n, x.data(), pool);  // x is free now: reuse it for y
    norm_add(x.data(), lw.post_ffw_norm, a1.data(), x.data());

    // Per-layer embedding residual: y += rms(proj·(gelu(inp_gate·y) ⊙ ple[l]), post_norm)
    if (P > 0) {
      matmul(lw.inp_gate, x.data(), n, g.get(), pool);
      each_row([&](int64_t t) {
        for (int64_t i = 0; i < P; ++i) g[t * P + i] = gelu(g[t * P + i]) * ple[(t * L + l) * P + i];
      });
      matmul(lw.proj, g.get(), n, h.data(), pool);
      norm_add(h.data(), lw.post_norm, x.data(), x.data());
    }
    if (lw.output_scale != 1.0f) {
      for (float& xi : x) xi *= lw.output_scale;
    }
    if (trace) trace->layer_output.push_back(last_row(x, d));
  }
  rows.end();

  // logits = softcap(output · rms(x_last, output_norm)) for the sequences that want them,
  // all in one pass over the output head (blocks.h: their last rows, gathered)  [V each]
  const ActiveRows last = rows_after_attention(true, rows, x, d);
  final_logits(last.x, rows, w.output_norm, c.rms_eps, w.output, pool, trace);
  if (c.final_logit_softcap <= 0.0f) return;
  const float cap = c.final_logit_softcap;
  for (size_t s = 0; s < S; ++s) {
    float* logits = steps[s].logits;
    if (logits == nullptr) continue;
    // 262k tanhs (~5 ms on one core): split across the threads like the head matmul.
    pool.parallel_ranges(c.n_vocab, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) logits[i] = softcap(logits[i], cap);
    });
  }
}

}  // namespace edgelm
