#include "kernels/matmul.h"

#include "kernels/activations.h"
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
  pool.parallel_ranges(w.rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* row = w.data + static_cast<uint64_t>(r) * w.row_bytes;
      for (int64_t t = 0; t < n_tokens; ++t) y[t * w.rows + r] = vec_dot(w.type, row, acts.data() + t * act_row, w.cols);
    }
  });
}

}  // namespace edgelm
