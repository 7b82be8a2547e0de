// dot_f32_interleaved: the SIMD kernels (vectorised across rows) give exactly the
// scalar ordered dot of every row, for both orders, any row count (tails included) and
// lengths around the order's step.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/interleaved_dot.h"

namespace edgelm {
namespace {

TEST(InterleavedDot, EveryLevelMatchesTheOrderedDotOfEachRow) {
  std::mt19937 rng(99);
  std::normal_distribution<float> g(0.0f, 1.0f);
  const CpuLevel saved = cpu_level();
  for (CpuLevel level : {CpuLevel::kScalar, CpuLevel::kAvx2, CpuLevel::kAvx512}) {
    if (!cpu_features().supports(level)) continue;
    set_cpu_level(level);
    for (int64_t rows : {1, 7, 16, 33, 64}) {
      for (int64_t n : {1, 15, 16, 63, 64, 65, 128, 200}) {
        for (FloatDotOrder order : {FloatDotOrder::kVector, FloatDotOrder::kGemm}) {
          if (order == FloatDotOrder::kGemm && n % llama_float_lanes() != 0) continue;
          const int64_t stride = rows + 3;  // rows need not fill the stride
          std::vector<float> xt(static_cast<size_t>(n * stride)), y(static_cast<size_t>(n)), out(rows);
          for (float& v : xt) v = g(rng);
          for (float& v : y) v = g(rng);
          dot_f32_interleaved(order, xt.data(), stride, rows, y.data(), n, out.data());
          std::vector<float> row(static_cast<size_t>(n));
          for (int64_t r = 0; r < rows; ++r) {
            for (int64_t i = 0; i < n; ++i) row[i] = xt[i * stride + r];
            const float want = dot_f32_ordered(order, reinterpret_cast<const uint8_t*>(row.data()), y.data(), n);
            ASSERT_EQ(out[r], want) << cpu_level_name(level) << " rows " << rows << " n " << n << " row " << r;
          }
        }
      }
    }
  }
  set_cpu_level(saved);
}

}  // namespace
}  // namespace edgelm
