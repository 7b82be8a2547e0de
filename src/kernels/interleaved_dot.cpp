#include "kernels/interleaved_dot.h"

#include <vector>

#include "kernels/cpu_features.h"

namespace edgelm {

void dot_f32_interleaved_reference(FloatDotOrder order, const float* xt, int64_t stride, int64_t rows,
                                   const float* y, int64_t n, float* out) {
  std::vector<float> row(static_cast<size_t>(n));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < n; ++i) row[i] = xt[i * stride + r];
    out[r] = dot_f32_ordered(order, reinterpret_cast<const uint8_t*>(row.data()), y, n);
  }
}

void dot_f32_interleaved(FloatDotOrder order, const float* xt, int64_t stride, int64_t rows, const float* y,
                         int64_t n, float* out) {
  // The kernels reproduce ggml's SIMD orders; ggml without SIMD sums in double, which
  // only the reference does.
  if (llama_float_lanes() > 1) {
#if defined(__x86_64__)
    switch (cpu_level()) {
      case CpuLevel::kAvx512: return avx512::dot_f32_interleaved(order, xt, stride, rows, y, n, out);
      case CpuLevel::kAvx2: return avx2::dot_f32_interleaved(order, xt, stride, rows, y, n, out);
      case CpuLevel::kScalar: break;
    }
#endif
  }
  dot_f32_interleaved_reference(order, xt, stride, rows, y, n, out);
}

}  // namespace edgelm
