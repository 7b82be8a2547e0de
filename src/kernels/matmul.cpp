#include "kernels/matmul.h"

#include "kernels/activations.h"
#include "kernels/float_dot.h"
#include "kernels/vec_dot.h"
#include "runtime/thread_pool.h"

namespace edgelm {

WeightMatrix WeightMatrix::slice_rows(int64_t first, int64_t count) const {
  WeightMatrix s = *this;
  s.data = data + static_cast<uint64_t>(first) * row_bytes;
  s.rows = count;
  return s;
}

void matmul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  const TensorType act = activation_type(w.type);
  const uint64_t act_row = activation_bytes(act, w.cols);
  std::vector<uint8_t> acts(act_row * static_cast<uint64_t>(n_tokens));
  pool.parallel_ranges(n_tokens, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) quantize_activations(act, x + t * w.cols, acts.data() + t * act_row, w.cols);
  });
  if (w.type == TensorType::F32 || w.type == TensorType::F16) {
    // Float sums follow llama.cpp's order, which depends on the batch size (float_dot.h).
    const FloatDotOrder order = float_dot_order(n_tokens, w.cols);
    pool.parallel_ranges(w.rows, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* row = w.data + static_cast<uint64_t>(r) * w.row_bytes;
        for (int64_t t = 0; t < n_tokens; ++t) {
          const uint8_t* a = acts.data() + t * act_row;
          y[t * w.rows + r] = w.type == TensorType::F32
                                  ? dot_f32_ordered(order, row, reinterpret_cast<const float*>(a), w.cols)
                                  : dot_f16_ordered(order, row, reinterpret_cast<const uint16_t*>(a), w.cols);
        }
      }
    });
    return;
  }
  pool.parallel_ranges(w.rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* row = w.data + static_cast<uint64_t>(r) * w.row_bytes;
      for (int64_t t = 0; t < n_tokens; ++t) y[t * w.rows + r] = vec_dot(w.type, row, acts.data() + t * act_row, w.cols);
    }
  });
}

}  // namespace edgelm
