// f32/f16 dot products in llama.cpp's summation orders (kernels/float_dot.h): each
// order is checked on an input where the orders give different, hand-derived results,
// against an error bound on random data, and the sparse attention form against the
// dense dot product it stands for.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/float_dot.h"
#include "util/half.h"

namespace edgelm {
namespace {

const uint8_t* bytes(const std::vector<float>& v) { return reinterpret_cast<const uint8_t*>(v.data()); }
const uint8_t* bytes(const std::vector<uint16_t>& v) { return reinterpret_cast<const uint8_t*>(v.data()); }

// 2^24 plus three ones at elements 16, 32, 48 (all ones in y). 2^24 + 1 rounds back to
// 2^24 (ties to even), so the result tells which partial sums met first:
//  - vector order (4 accumulators of W lanes; 16 and 32 sit in other accumulators than
//    0 for W = 16, and in accumulator 2 of the two steps for W = 8): the ones pair up
//    before meeting 2^24 -> 2^24 + 2;
//  - gemm order (one accumulator of W lanes; 0, 16, 32, 48 share lane 0 for W = 8 and
//    16): each one is absorbed -> 2^24;
//  - no SIMD (double sum): 2^24 + 3 exactly, rounded to float -> 2^24 + 4.
TEST(FloatDot, OrdersAreTheOnesLlamaCppUses) {
  std::vector<float> x(64, 0.0f), y(64, 1.0f);
  x[0] = 16777216.0f;
  x[16] = x[32] = x[48] = 1.0f;
  const float vec = dot_f32_ordered(FloatDotOrder::kVector, bytes(x), y.data(), 64);
  const float gemm = dot_f32_ordered(FloatDotOrder::kGemm, bytes(x), y.data(), 64);
  if (llama_float_lanes() == 1) {
    EXPECT_EQ(vec, 16777220.0f);
    EXPECT_EQ(gemm, 16777220.0f);
  } else {
    EXPECT_EQ(vec, 16777218.0f);
    EXPECT_EQ(gemm, 16777216.0f);
  }
}

// Leftovers after the last full step of 4·W elements are added after the lane
// reduction: f32 in float (absorbed), f16 in double (kept until the final rounding).
TEST(FloatDot, LeftoversAreAddedAfterTheReduction) {
  if (llama_float_lanes() == 1) GTEST_SKIP() << "no SIMD order on this CPU";
  // Two leftover ones after 2^24: in float each is absorbed (2^24 + 1 rounds to even),
  // in double they add up to 2^24 + 2 first, which float represents.
  const int64_t n = 4 * llama_float_lanes() + 2;
  std::vector<float> x(static_cast<size_t>(n), 0.0f), y(static_cast<size_t>(n), 1.0f);
  x[0] = 16777216.0f;
  x[static_cast<size_t>(n - 1)] = x[static_cast<size_t>(n - 2)] = 1.0f;
  EXPECT_EQ(dot_f32_ordered(FloatDotOrder::kVector, bytes(x), y.data(), n), 16777216.0f);
  // f16 cannot hold 2^24: 2048 * 8192 makes it in the lanes.
  std::vector<uint16_t> a(static_cast<size_t>(n), f32_to_f16(0.0f)), b(static_cast<size_t>(n), f32_to_f16(1.0f));
  a[0] = f32_to_f16(2048.0f);
  b[0] = f32_to_f16(8192.0f);
  a[static_cast<size_t>(n - 1)] = a[static_cast<size_t>(n - 2)] = f32_to_f16(1.0f);
  EXPECT_EQ(dot_f16_ordered(FloatDotOrder::kVector, bytes(a), b.data(), n), 16777218.0f);
}

// On ordinary data every order is a float dot product: within the classic bound
// n·eps·Σ|x·y| of the exact value.
TEST(FloatDot, AgreesWithTheExactSumWithinTheRoundingBound) {
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int64_t n : {1, 7, 16, 63, 64, 100, 128, 1000, 2048}) {
    std::vector<float> x(static_cast<size_t>(n)), y(x.size());
    std::vector<uint16_t> xh(x.size()), yh(x.size());
    double exact = 0, exact_h = 0, mag = 0, mag_h = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      x[i] = dist(rng);
      y[i] = dist(rng);
      xh[i] = f32_to_f16(x[i]);
      yh[i] = f32_to_f16(y[i]);
      exact += static_cast<double>(x[i]) * y[i];
      mag += std::fabs(static_cast<double>(x[i]) * y[i]);
      const double ph = static_cast<double>(f16_to_f32(xh[i])) * f16_to_f32(yh[i]);
      exact_h += ph;
      mag_h += std::fabs(ph);
    }
    const double eps = std::ldexp(1.0, -24);
    for (FloatDotOrder o : {FloatDotOrder::kVector, FloatDotOrder::kGemm}) {
      if (o == FloatDotOrder::kGemm && n % std::max(1, llama_float_lanes()) != 0) continue;
      EXPECT_LE(std::fabs(dot_f32_ordered(o, bytes(x), y.data(), n) - exact), (n + 1) * eps * mag) << n;
      EXPECT_LE(std::fabs(dot_f16_ordered(o, bytes(xh), yh.data(), n) - exact_h), (n + 1) * eps * mag_h) << n;
    }
  }
}

TEST(FloatDot, BatchesOfTwoOrMoreUseTheGemmOrderUnlessBatchInvariant) {
  const int lanes = llama_float_lanes();
  EXPECT_EQ(float_dot_order(1, 256), FloatDotOrder::kVector);
  EXPECT_EQ(float_dot_order(2, 256), lanes > 1 ? FloatDotOrder::kGemm : FloatDotOrder::kVector);
  EXPECT_EQ(float_dot_order(2, 257), FloatDotOrder::kVector);  // not a multiple of the lanes
  set_float_batch_invariant(true);
  EXPECT_EQ(float_dot_order(8, 256), FloatDotOrder::kVector);
  set_float_batch_invariant(false);
}

// The attention form lists only cells with non-zero probability; it must equal the
// dense f16 dot product over all n_span cells with zeros elsewhere, bit for bit, for
// spans with and without leftovers.
TEST(FloatDot, SparseCellsEqualTheDenseDotProduct) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const int64_t width = 24;
  for (int64_t n_span : {1, 64, 256, 300, 777}) {
    std::vector<uint16_t> p_dense(static_cast<size_t>(n_span), 0), values(static_cast<size_t>(n_span * width));
    for (auto& v : values) v = f32_to_f16(u(rng));
    std::vector<uint32_t> cells;
    std::vector<uint16_t> p;
    std::vector<const uint16_t*> rows;
    for (int64_t c = 0; c < n_span; ++c) {
      if (rng() % 3 == 0) continue;
      p_dense[static_cast<size_t>(c)] = f32_to_f16(std::fabs(u(rng)));
      cells.push_back(static_cast<uint32_t>(c));
      p.push_back(p_dense[static_cast<size_t>(c)]);
      rows.push_back(values.data() + c * width);
    }
    std::vector<float> out(static_cast<size_t>(width));
    f16_weighted_cells(cells.data(), p.data(), rows.data(), static_cast<int64_t>(cells.size()), n_span, width,
                       out.data());
    for (int64_t k = 0; k < width; ++k) {
      std::vector<uint16_t> column(static_cast<size_t>(n_span));
      for (int64_t c = 0; c < n_span; ++c) column[static_cast<size_t>(c)] = values[static_cast<size_t>(c * width + k)];
      const float want = dot_f16_ordered(FloatDotOrder::kVector, bytes(p_dense), column.data(), n_span);
      EXPECT_EQ(out[static_cast<size_t>(k)], want) << "span " << n_span << " column " << k;
    }
  }
}


// The SIMD versions (kernels/x86/float_dot_*.cpp) against the scalar reference for
// their lane count: bit for bit, on random lengths with ragged tails, both orders, and
// the sparse attention form with cells past the last full step.
namespace simd_vs_reference {

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

struct Level {
  const FloatDotKernels* kernels;
  const char* name;
};

std::vector<Level> levels_here() {
  std::vector<Level> out;
  // The instruction sets the kernels are compiled for (kernels/cpu_features.h).
  const CpuFeatures& f = cpu_features();
  if (f.supports(CpuLevel::kAvx2) && avx2_float_dot_kernels() != nullptr) out.push_back({avx2_float_dot_kernels(), "avx2"});
  if (f.supports(CpuLevel::kAvx512) && avx512_float_dot_kernels() != nullptr) {
    out.push_back({avx512_float_dot_kernels(), "avx512"});
  }
  return out;
}

TEST(FloatDotSimd, DotProductsEqualTheReferenceBitForBit) {
  const auto levels = levels_here();
  if (levels.empty()) GTEST_SKIP() << "no SIMD float kernels on this CPU";
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::uniform_int_distribution<int> len(1, 700);
  for (const Level& lv : levels) {
    const int W = lv.kernels->lanes;
    for (int trial = 0; trial < 400; ++trial) {
      const int64_t n = trial < 8 ? 4 * W * (trial + 1) + (trial % 3) : len(rng);
      std::vector<float> x(static_cast<size_t>(n) + 1), y(static_cast<size_t>(n));
      std::vector<uint16_t> xh(static_cast<size_t>(n) + 1), yh(static_cast<size_t>(n));
      // Mixed magnitudes so that rounding differs between orders.
      for (size_t i = 0; i < y.size(); ++i) {
        const float scale = (i % 7 == 0) ? 1000.0f : 1.0f;
        x[i + 1] = dist(rng) * scale;
        y[i] = dist(rng);
        xh[i + 1] = f32_to_f16(x[i + 1]);
        yh[i] = f32_to_f16(y[i]);
      }
      // x starts at an odd element address: weight rows in a mapping are unaligned.
      const auto* x8 = reinterpret_cast<const uint8_t*>(x.data() + 1);
      const auto* xh8 = reinterpret_cast<const uint8_t*>(xh.data() + 1);
      for (FloatDotOrder order : {FloatDotOrder::kVector, FloatDotOrder::kGemm}) {
        if (order == FloatDotOrder::kGemm && n % W != 0) continue;
        const float s = lv.kernels->dot_f32(order, x8, y.data(), n);
        const float r = float_dot_ref::dot_f32(W, order, x8, y.data(), n);
        ASSERT_TRUE(same_bits(s, r)) << lv.name << " f32 n=" << n << " " << s << " vs " << r;
        const float sh = lv.kernels->dot_f16(order, xh8, yh.data(), n);
        const float rh = float_dot_ref::dot_f16(W, order, xh8, yh.data(), n);
        ASSERT_TRUE(same_bits(sh, rh)) << lv.name << " f16 n=" << n << " " << sh << " vs " << rh;
      }
    }
  }
}

// The register-blocked gemm kernels (4 rows × 4 tokens at a time) against the
// reference dot of every (row, token) pair, on ragged row ranges and token counts.
TEST(FloatDotSimd, GemmRowsEqualThePairwiseReferenceBitForBit) {
  const auto levels = levels_here();
  if (levels.empty()) GTEST_SKIP() << "no SIMD float kernels on this CPU";
  std::mt19937 rng(13);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const Level& lv : levels) {
    const int W = lv.kernels->lanes;
    for (int trial = 0; trial < 24; ++trial) {
      const bool f16 = trial % 2 == 1;
      const int64_t n = W * (1 + trial % 5), rows = 1 + trial % 11, tokens = 1 + (trial * 7) % 10;
      const uint64_t elem = f16 ? 2 : 4;
      // Rows and tokens padded apart (an odd stride of elements), as in a mapping.
      const uint64_t row_bytes = (n + 3) * elem, act_bytes = (n + 1) * elem;
      std::vector<uint8_t> w(rows * row_bytes + 64), acts(tokens * act_bytes + 64);
      auto fill = [&](std::vector<uint8_t>& buf) {
        for (size_t i = 0; i + elem <= buf.size(); i += elem) {
          const float v = dist(rng) * ((i / elem) % 5 == 0 ? 300.0f : 1.0f);
          if (f16) {
            const uint16_t h = f32_to_f16(v);
            std::memcpy(&buf[i], &h, 2);
          } else {
            std::memcpy(&buf[i], &v, 4);
          }
        }
      };
      fill(w);
      fill(acts);
      const int64_t y_stride = rows + 2;
      std::vector<float> y(static_cast<size_t>(tokens * y_stride), -1.0f);
      FloatGemmArgs a;
      a.f16 = f16;
      a.w = w.data();
      a.row_bytes = row_bytes;
      a.acts = acts.data();
      a.act_bytes = act_bytes;
      a.n_tokens = tokens;
      a.n = n;
      a.y = y.data();
      a.y_stride = y_stride;
      const int64_t r0 = rows > 3 ? 1 : 0;  // a range that starts inside the matrix
      lv.kernels->gemm_rows(a, r0, rows);
      for (int64_t t = 0; t < tokens; ++t) {
        for (int64_t r = 0; r < rows + 2; ++r) {
          const float got = y[t * y_stride + r];
          if (r < r0 || r >= rows) {
            ASSERT_EQ(got, -1.0f) << "wrote outside its rows";
            continue;
          }
          const uint8_t* row = w.data() + r * row_bytes;
          const uint8_t* act = acts.data() + t * act_bytes;
          const float want = f16 ? float_dot_ref::dot_f16(W, FloatDotOrder::kGemm, row,
                                                          reinterpret_cast<const uint16_t*>(act), n)
                                 : float_dot_ref::dot_f32(W, FloatDotOrder::kGemm, row,
                                                          reinterpret_cast<const float*>(act), n);
          ASSERT_TRUE(same_bits(got, want)) << lv.name << (f16 ? " f16" : " f32") << " n=" << n << " row " << r
                                            << " token " << t << ": " << got << " vs " << want;
        }
      }
    }
  }
}

TEST(FloatDotSimd, WeightedCellsEqualTheReferenceBitForBit) {
  const auto levels = levels_here();
  if (levels.empty()) GTEST_SKIP() << "no SIMD float kernels on this CPU";
  std::mt19937 rng(12);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (const Level& lv : levels) {
    const int W = lv.kernels->lanes;
    for (int trial = 0; trial < 200; ++trial) {
      const int64_t width = std::vector<int64_t>{8, 16, 40, 64, 128, 256, 100}[trial % 7];
      // Spans: multiples of 4W (no tail) and ragged ones (cells past the last full step).
      const int64_t n_span = trial % 2 == 0 ? 4 * W * (1 + trial % 9) : 1 + static_cast<int64_t>(unit(rng) * 600);
      std::vector<uint32_t> cells;
      const float density = unit(rng);
      for (int64_t c = 0; c < n_span; ++c) {
        if (unit(rng) < density) cells.push_back(static_cast<uint32_t>(c));
      }
      if (cells.empty()) cells.push_back(static_cast<uint32_t>(n_span - 1));
      std::vector<uint16_t> p(cells.size());
      std::vector<std::vector<uint16_t>> rows(cells.size(), std::vector<uint16_t>(static_cast<size_t>(width)));
      std::vector<const uint16_t*> row_ptrs(cells.size());
      for (size_t e = 0; e < cells.size(); ++e) {
        p[e] = f32_to_f16(unit(rng) / static_cast<float>(cells.size()));
        for (auto& v : rows[e]) v = f32_to_f16(dist(rng) * (e % 5 == 0 ? 50.0f : 1.0f));
        row_ptrs[e] = rows[e].data();
      }
      std::vector<float> simd(static_cast<size_t>(width)), ref(static_cast<size_t>(width));
      const auto count = static_cast<int64_t>(cells.size());
      lv.kernels->weighted_cells(cells.data(), p.data(), row_ptrs.data(), count, n_span, width, simd.data());
      float_dot_ref::weighted_cells(W, cells.data(), p.data(), row_ptrs.data(), count, n_span, width, ref.data());
      for (int64_t k = 0; k < width; ++k) {
        ASSERT_TRUE(same_bits(simd[static_cast<size_t>(k)], ref[static_cast<size_t>(k)]))
            << lv.name << " width=" << width << " span=" << n_span << " k=" << k;
      }
    }
  }
}

}  // namespace simd_vs_reference

}  // namespace
}  // namespace edgelm
