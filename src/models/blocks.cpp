#include "models/blocks.h"

#include "kernels/ops.h"
#include "models/model.h"
#include "quant/dequantize.h"
#include "runtime/attention.h"
#include "runtime/thread_pool.h"
#include "util/half.h"

namespace edgelm {

std::vector<float> embed_tokens(const WeightMatrix& table, const int32_t* tokens, int64_t n) {
  const int64_t d = table.cols;
  std::vector<float> x(static_cast<size_t>(n * d));
  for (int64_t t = 0; t < n; ++t) {
    dequantize_row(table.type, table.data + static_cast<uint64_t>(tokens[t]) * table.row_bytes, x.data() + t * d, d);
  }
  return x;
}

void rms_norm_rows(const float* x, std::span<const float> w, int64_t n_rows, int64_t width, float eps, float* out) {
  const float* weight = w.empty() ? nullptr : w.data();
  for (int64_t r = 0; r < n_rows; ++r) rms_norm(x + r * width, weight, width, eps, out + r * width);
}

RopeTables::RopeTables(uint32_t p0, int64_t n, int n_dims, float base, std::span<const float> freq_factors)
    : n_(n), n_dims_(n_dims), cos_(static_cast<size_t>(n * n_dims / 2)), sin_(cos_.size()) {
  const float* factors = freq_factors.empty() ? nullptr : freq_factors.data();
  for (int64_t t = 0; t < n; ++t) {
    rope_tables(p0 + t, n_dims, base, factors, cos_.data() + t * n_dims / 2, sin_.data() + t * n_dims / 2);
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

void store_kv(KvCache& cache, uint32_t layer, uint32_t p0, int64_t n, int64_t n_kv, int64_t head_dim, const float* k,
              const float* v) {
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t j = 0; j < n_kv; ++j) {
      const float* kj = k + (t * n_kv + j) * head_dim;
      const float* vj = v + (t * n_kv + j) * head_dim;
      uint16_t* kc = cache.key(layer, p0 + static_cast<uint32_t>(t), static_cast<uint32_t>(j));
      uint16_t* vc = cache.value(layer, p0 + static_cast<uint32_t>(t), static_cast<uint32_t>(j));
      for (int64_t e = 0; e < head_dim; ++e) {
        kc[e] = f32_to_f16(kj[e]);
        vc[e] = f32_to_f16(vj[e]);
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

void add_attention(const float* q, int64_t n, uint32_t p0, const AttentionShape& shape, const KvCache& cache,
                   uint32_t layer, const WeightMatrix& attn_output, ThreadPool& pool, float* x) {
  std::vector<float> out(static_cast<size_t>(n) * shape.n_head * shape.head_dim);
  attention(q, n, p0, shape, cache, layer, pool, out.data());
  add_matmul(attn_output, out.data(), n, pool, x);
}

ActiveRows rows_after_attention(bool last_layer, bool want_logits, std::vector<float>& x, int64_t n, int64_t d) {
  if (!last_layer) return {x.data(), n};
  return {x.data() + (n - 1) * d, want_logits ? 1 : 0};
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

void final_logits(const float* x_last, std::span<const float> output_norm, float eps, const WeightMatrix& output,
                  ThreadPool& pool, float* logits, ModelTrace* trace) {
  std::vector<float> last(static_cast<size_t>(output.cols));
  rms_norm(x_last, output_norm.data(), output.cols, eps, last.data());
  if (trace) trace->final_norm = last;
  matmul(output, last.data(), 1, logits, pool);
}

}  // namespace edgelm
