#include "models/blocks.h"

#include <algorithm>

#include "kernels/ops.h"
#include "models/model.h"
#include "quant/dequantize.h"
#include "runtime/attention.h"
#include "runtime/thread_pool.h"
#include "util/half.h"

namespace edgelm {

SequenceRows::SequenceRows(std::span<const Model::SequenceStep> steps)
    : steps_(steps), first_(steps.size()), count_(steps.size()), p0_(steps.size()) {
  for (size_t s = 0; s < steps.size(); ++s) {
    add(s, static_cast<int64_t>(steps[s].tokens.size()), steps[s].tokens.data());
  }
}

SequenceRows::SequenceRows(const Model::SequenceStep& step, int64_t n_embedding_rows)
    : steps_(&step, 1), first_(1), count_(1), p0_(1) {
  add(0, n_embedding_rows, nullptr);
}

void SequenceRows::add(size_t s, int64_t count, const int32_t* tokens) {
  first_[s] = n_;
  count_[s] = count;
  p0_[s] = steps_[s].cache->n_past();
  for (int64_t t = 0; t < count; ++t) {
    positions_.push_back(p0_[s] + static_cast<uint32_t>(t));
    tokens_.push_back(tokens != nullptr ? tokens[t] : 0);
  }
  n_ += count;
  steps_[s].cache->begin_ubatch(static_cast<uint32_t>(count));
}

void SequenceRows::end() {
  for (const Model::SequenceStep& step : steps_) step.cache->end_ubatch();
}

std::vector<float> embed_tokens(const WeightMatrix& table, const int32_t* tokens, int64_t n) {
  const int64_t d = table.cols;
  std::vector<float> x(static_cast<size_t>(n * d));
  for (int64_t t = 0; t < n; ++t) {
    dequantize_row(table.type, table.data + static_cast<uint64_t>(tokens[t]) * table.row_bytes, x.data() + t * d, d);
  }
  return x;
}

void rms_norm_rows(const float* x, std::span<const float> w, int64_t n_rows, int64_t width, float eps, float* out) {
  rms_norm_rows(x, w.empty() ? nullptr : w.data(), n_rows, width, eps, out);
}

RopeTables::RopeTables(std::span<const uint32_t> positions, int n_dims, float base,
                       std::span<const float> freq_factors)
    : n_(static_cast<int64_t>(positions.size())),
      n_dims_(n_dims),
      cos_(static_cast<size_t>(n_ * n_dims / 2)),
      sin_(cos_.size()) {
  const float* factors = freq_factors.empty() ? nullptr : freq_factors.data();
  for (int64_t t = 0; t < n_; ++t) {
    rope_tables(positions[t], n_dims, base, factors, cos_.data() + t * n_dims / 2, sin_.data() + t * n_dims / 2);
  }
}

void RopeTables::apply(RopePairing pairing, float* heads, int64_t n_heads, int64_t head_dim) const {
  const int64_t half = n_dims_ / 2;
  for (int64_t t = 0; t < n_; ++t) {
    const float* c = cos_.data() + t * half;
    const float* s = sin_.data() + t * half;
    for (int64_t i = 0; i < n_heads; ++i) {
      float* v = heads + (t * n_heads + i) * head_dim;
      if (pairing == RopePairing::kNormal) rope_normal_apply(v, n_dims_, c, s);
      else rope_neox_apply(v, n_dims_, c, s);
    }
  }
}

void store_kv(const SequenceRows& rows, uint32_t layer, int64_t n_kv, int64_t head_dim, const float* k,
              const float* v) {
  for (size_t s = 0; s < rows.n_sequences(); ++s) {
    KvCache& cache = *rows.step(s).cache;
    for (int64_t i = 0; i < rows.count(s); ++i) {
      const int64_t t = rows.first(s) + i;
      for (int64_t j = 0; j < n_kv; ++j) {
        cache.store(layer, static_cast<uint32_t>(i), static_cast<uint32_t>(j), k + (t * n_kv + j) * head_dim,
                    v + (t * n_kv + j) * head_dim);
      }
    }
  }
}

KvCache full_attention_cache(std::span<const uint32_t> n_head_kv, uint32_t head_dim, uint32_t n_ctx,
                             uint32_t n_ubatch) {
  std::vector<LayerKvSpec> specs(n_head_kv.size());
  for (size_t l = 0; l < specs.size(); ++l) {
    specs[l].owns = true;
    specs[l].n_kv_heads = n_head_kv[l];
    specs[l].head_dim = head_dim;
    specs[l].max_positions = n_ctx;
  }
  return KvCache(std::move(specs), n_ctx, n_ubatch);
}

void add_matmul(const WeightMatrix& w, const float* in, int64_t n, ThreadPool& pool, float* x) {
  if (n == 0) return;
  std::vector<float> y(static_cast<size_t>(n * w.rows));
  matmul(w, in, n, y.data(), pool);
  for (size_t i = 0; i < y.size(); ++i) x[i] += y[i];
}

void add_attention(const float* q, const SequenceRows& rows, const AttentionShape& shape, uint32_t layer,
                   const WeightMatrix& attn_output, ThreadPool& pool, float* x) {
  const int64_t width = int64_t{shape.n_head} * shape.head_dim;
  std::vector<float> out(static_cast<size_t>(rows.n() * width));
  for (size_t s = 0; s < rows.n_sequences(); ++s) {
    attention(q + rows.first(s) * width, rows.count(s), rows.p0(s), shape, *rows.step(s).cache, layer, pool,
              out.data() + rows.first(s) * width);
  }
  add_matmul(attn_output, out.data(), rows.n(), pool, x);
}

ActiveRows rows_after_attention(bool last_layer, const SequenceRows& rows, std::vector<float>& x, int64_t d) {
  if (!last_layer) return {x.data(), rows.n()};
  if (rows.n_sequences() == 1) {
    return {x.data() + (rows.n() - 1) * d, rows.step(0).logits != nullptr ? 1 : 0};
  }
  int64_t kept = 0;
  for (size_t s = 0; s < rows.n_sequences(); ++s) {
    if (rows.step(s).logits == nullptr) continue;
    const int64_t last = rows.first(s) + rows.count(s) - 1;  // >= kept: moving rows forward is safe
    if (last != kept) std::copy(x.begin() + last * d, x.begin() + (last + 1) * d, x.begin() + kept * d);
    ++kept;
  }
  return {x.data(), kept};
}

void add_gated_ffn(const GatedFfnWeights& w, FfnActivation act, const float* h, int64_t n, ThreadPool& pool, float* x) {
  if (n == 0) return;
  const int64_t F = w.gate.rows;
  std::vector<float> gate(static_cast<size_t>(n * F)), up(gate.size());
  matmul(w.gate, h, n, gate.data(), pool);
  matmul(w.up, h, n, up.data(), pool);
  // One token's row per task: llama.cpp's SwiGLU vectorises within a row.
  pool.parallel_ranges(n, [&](int64_t b, int64_t e) {
    float* g = gate.data() + b * F;
    if (act == FfnActivation::kSilu) swiglu(g, up.data() + b * F, e - b, F, g);
    else geglu(g, up.data() + b * F, (e - b) * F, g);
  });
  add_matmul(w.down, gate.data(), n, pool, x);
}

void final_logits(const float* last, const SequenceRows& rows, std::span<const float> output_norm, float eps,
                  const WeightMatrix& output, ThreadPool& pool, ModelTrace* trace) {
  std::vector<float*> outs;
  for (size_t s = 0; s < rows.n_sequences(); ++s) {
    if (rows.step(s).logits != nullptr) outs.push_back(rows.step(s).logits);
  }
  if (outs.empty()) return;
  const int64_t d = output.cols, V = output.rows, m = static_cast<int64_t>(outs.size());
  std::vector<float> normed(static_cast<size_t>(m * d));
  rms_norm_rows(last, output_norm, m, d, eps, normed.data());
  if (trace) trace->final_norm.assign(normed.begin(), normed.begin() + d);
  if (m == 1) {
    matmul(output, normed.data(), 1, outs[0], pool);
    return;
  }
  std::vector<float> logits(static_cast<size_t>(m * V));
  matmul(output, normed.data(), m, logits.data(), pool);
  for (int64_t i = 0; i < m; ++i) std::copy(logits.begin() + i * V, logits.begin() + (i + 1) * V, outs[i]);
}

}  // namespace edgelm
