#include "runtime/attention_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/activations.h"
#include "kernels/cpu_features.h"
#include "kernels/float_dot.h"
#include "kernels/quant_kernels.h"
#include "runtime/attention_simd.h"
#include "runtime/kv_types.h"
#include "util/error.h"
#include "util/half.h"

namespace edgelm {

namespace {

template <typename T>
T* sized(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// f16 keys: llama.cpp's ggml_vec_dot_f16 per cell and query.
void f16_key_scores(const KvRows& keys, const uint32_t* cells, uint32_t count, const PreparedQueries& q,
                    float* scores) {
  const int64_t hd = q.head_dim;
  if (simd_f16_available(hd)) {
    simd_f16_key_scores(keys.base, keys.row_bytes, cells, count, q.values.data(), q.n, hd, scores);
    return;
  }
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* row = keys.row(cells[i]);
    for (int h = 0; h < q.n; ++h) {
      scores[h * count + i] = dot_f16_ordered(FloatDotOrder::kVector, row, q.halves.data() + h * hd, hd);
    }
  }
}

// bf16 keys: the row widened to f32, summed in the f32 vector order.
void bf16_key_scores(const KvRows& keys, const uint32_t* cells, uint32_t count, const PreparedQueries& q,
                     float* scores, std::vector<float>& scratch) {
  const int64_t hd = q.head_dim;
  float* k = sized(scratch, static_cast<size_t>(hd));
  for (uint32_t i = 0; i < count; ++i) {
    load_kv_row(TensorType::BF16, keys.row(cells[i]), k, static_cast<uint32_t>(hd));
    for (int h = 0; h < q.n; ++h) {
      scores[h * count + i] = dot_f32_ordered(FloatDotOrder::kVector, reinterpret_cast<const uint8_t*>(k),
                                              q.values.data() + h * hd, hd);
    }
  }
}

// q8_0 / q4_0 keys: the integer rows kernels of the matmul, one call per run of
// consecutive cells (a full layer's cells are one run, a ring's at most a few).
void quantized_key_scores(const KvRows& keys, const uint32_t* cells, uint32_t count, const PreparedQueries& q,
                          float* scores, std::vector<float>& scratch) {
  const KernelTable& table = kernel_table(cpu_level());
  RowsKernel kernel = table.rows_kernel(keys.type);
  if (kernel == nullptr) kernel = scalar_kernel_table().rows_kernel(keys.type);
  for (uint32_t i0 = 0; i0 < count;) {
    uint32_t i1 = i0 + 1;
    while (i1 < count && cells[i1] == cells[i1 - 1] + 1) ++i1;
    const uint32_t run = i1 - i0;
    float* y = sized(scratch, static_cast<size_t>(run) * q.n);
    QuantMatmulArgs a;
    a.type = keys.type;
    a.w = keys.row(cells[i0]);
    a.w_row_bytes = keys.row_bytes;
    a.rows = run;
    a.cols = q.head_dim;
    a.acts = q.blocks.data();
    a.act_row_bytes = q.block_row_bytes;
    a.act_sums = q.sums.data();
    a.act_scales = q.scales.data();
    a.n_tokens = q.n;
    a.y = y;
    a.y_stride = run;
    kernel(a, 0, run);
    for (int h = 0; h < q.n; ++h) std::memcpy(scores + h * count + i0, y + h * run, run * sizeof(float));
    i0 = i1;
  }
}

// f16 values: llama.cpp's p·V over the transposed V cache, p rounded to f16.
void f16_weighted_values(const KvRows& values, const uint32_t* cells, uint32_t count, const float* p, int n_q,
                         uint32_t span, int64_t hd, float* out, std::vector<float>& scratch) {
  if (simd_f16_available(hd)) {
    simd_f16_weighted_values(values.base, values.row_bytes, cells, count, p, n_q, span, hd, out, scratch);
    return;
  }
  std::vector<uint16_t> p16(count);
  std::vector<const uint16_t*> rows(count);
  for (uint32_t i = 0; i < count; ++i) rows[i] = reinterpret_cast<const uint16_t*>(values.row(cells[i]));
  for (int h = 0; h < n_q; ++h) {
    f32_to_f16_row(p + static_cast<size_t>(h) * count, p16.data(), count);
    f16_weighted_cells(cells, p16.data(), rows.data(), count, span, hd, out + h * hd);
  }
}

// Other value types: each row dequantized once for the group, then added in f32 with
// one fused multiply-add per term (what the SIMD version does).
void dequantized_weighted_values(const KvRows& values, const uint32_t* cells, uint32_t count, const float* p,
                                 int n_q, int64_t hd, float* out, std::vector<float>& scratch) {
  if (simd_widened_available(hd)) {
    simd_widened_weighted_values(values.type, values.base, values.row_bytes, cells, count, p, n_q, hd, out);
    return;
  }
  float* v = sized(scratch, static_cast<size_t>(hd));
  std::fill(out, out + n_q * hd, 0.0f);
  for (uint32_t i = 0; i < count; ++i) {
    load_kv_row(values.type, values.row(cells[i]), v, static_cast<uint32_t>(hd));
    for (int h = 0; h < n_q; ++h) {
      const float w = p[h * count + i];
      float* o = out + h * hd;
      for (int64_t k = 0; k < hd; ++k) o[k] = std::fma(w, v[k], o[k]);
    }
  }
}

}  // namespace

void prepare_queries(TensorType key_type, const float* q, int n, int64_t head_dim, PreparedQueries& out) {
  out.key_type = key_type;
  out.n = n;
  out.head_dim = head_dim;
  const size_t total = static_cast<size_t>(n) * head_dim;
  switch (key_type) {
    case TensorType::F16: {
      const float* table = f16_to_f32_table();
      uint16_t* h = sized(out.halves, total);
      float* v = sized(out.values, total);
      f32_to_f16_row(q, h, static_cast<int64_t>(total));
      for (size_t i = 0; i < total; ++i) v[i] = table[h[i]];
      return;
    }
    case TensorType::BF16: {
      float* v = sized(out.values, total);
      for (size_t i = 0; i < total; ++i) v[i] = bf16_to_f32(f32_to_bf16(q[i]));
      return;
    }
    case TensorType::Q8_0:
    case TensorType::Q4_0: {
      // ggml multiplies both with q8_0 activations (its vec_dot_type).
      out.block_row_bytes = activation_bytes(TensorType::Q8_0, head_dim);
      uint8_t* b = sized(out.blocks, out.block_row_bytes * n);
      int32_t* s = sized(out.sums, static_cast<size_t>(n) * (head_dim / 32));
      float* sc = sized(out.scales, static_cast<size_t>(n) * (head_dim / 32));
      const QuantizeKernel quantize = kernel_table(cpu_level()).quantizer(TensorType::Q8_0);
      for (int h = 0; h < n; ++h) {
        uint8_t* row = b + h * out.block_row_bytes;
        if (quantize != nullptr) quantize(q + h * head_dim, row, head_dim);
        else quantize_activations(TensorType::Q8_0, q + h * head_dim, row, head_dim);
        q8_0_block_sums(row, head_dim, s + h * (head_dim / 32), sc + h * (head_dim / 32));
      }
      return;
    }
    default: fail("{} is not a KV cache type", type_name(key_type));
  }
}

void key_scores(const KvRows& keys, const uint32_t* cells, uint32_t count, const PreparedQueries& q, float* scores,
                std::vector<float>& scratch) {
  switch (keys.type) {
    case TensorType::F16: return f16_key_scores(keys, cells, count, q, scores);
    case TensorType::BF16: return bf16_key_scores(keys, cells, count, q, scores, scratch);
    default: return quantized_key_scores(keys, cells, count, q, scores, scratch);
  }
}

void weighted_values(const KvRows& values, const uint32_t* cells, uint32_t count, const float* p, int n_q,
                     uint32_t span, int64_t head_dim, float* out, std::vector<float>& scratch) {
  if (values.type == TensorType::F16) {
    f16_weighted_values(values, cells, count, p, n_q, span, head_dim, out, scratch);
  } else {
    dequantized_weighted_values(values, cells, count, p, n_q, head_dim, out, scratch);
  }
}

}  // namespace edgelm
