// Kernels: activation formats, integer dot products against a dequantize-then-f32
// reference, matmul threading, RoPE/GELU/norm invariants, and the KV cache layout.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "kernels/activations.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "kernels/vec_dot.h"
#include "quant/blocks.h"
#include "quant/dequantize.h"
#include "quant/quantize.h"
#include "runtime/kv_cache.h"
#include "runtime/thread_pool.h"
#include "util/half.h"

namespace edgelm {
namespace {

std::vector<float> random_vector(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// The activations as the kernel sees them, back in f32.
std::vector<float> dequantized_activations(TensorType act, const std::vector<uint8_t>& bytes, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  if (act == TensorType::Q8_K) {
    for (int64_t b = 0; b < n / kQK_K; ++b) {
      block_q8_K blk;
      std::memcpy(&blk, bytes.data() + b * sizeof blk, sizeof blk);
      for (int i = 0; i < kQK_K; ++i) out[b * kQK_K + i] = blk.d * blk.qs[i];
    }
  } else {
    dequantize_row(act, bytes.data(), out.data(), n);
  }
  return out;
}

class VecDotTest : public ::testing::TestWithParam<TensorType> {};

// vec_dot == Σ dequant(w) · dequant(act) computed in double, for every weight type.
TEST_P(VecDotTest, MatchesDequantizedDot) {
  const TensorType type = GetParam();
  const int64_t n = 512;
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    const auto wf = random_vector(n, seed);
    const auto xf = random_vector(n, seed + 100, 3.0f);
    std::vector<uint8_t> w(row_bytes(type, n));
    quantize_row(type, wf.data(), w.data(), n);
    const TensorType act = activation_type(type);
    std::vector<uint8_t> a(activation_bytes(act, n));
    quantize_activations(act, xf.data(), a.data(), n);
    std::vector<float> wd(static_cast<size_t>(n));
    dequantize_row(type, w.data(), wd.data(), n);
    const auto ad = dequantized_activations(act, a, n);
    double expect = 0.0, magnitude = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      expect += static_cast<double>(wd[i]) * ad[i];
      magnitude += std::fabs(static_cast<double>(wd[i]) * ad[i]);
    }
    const float got = vec_dot(type, w.data(), a.data(), n);
    EXPECT_NEAR(got, expect, 2e-6 * magnitude) << type_name(type) << " seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, VecDotTest,
                         ::testing::Values(TensorType::F32, TensorType::F16, TensorType::BF16, TensorType::Q8_0,
                                           TensorType::Q4_0, TensorType::IQ4_NL, TensorType::Q4_K, TensorType::Q5_K,
                                           TensorType::Q6_K),
                         [](const ::testing::TestParamInfo<TensorType>& p) { return std::string(type_name(p.param)); });

TEST(Activations, FormatsFollowGgmlsVecDotTypes) {
  EXPECT_EQ(activation_type(TensorType::Q4_0), TensorType::Q8_0);
  EXPECT_EQ(activation_type(TensorType::IQ4_NL), TensorType::Q8_0);
  EXPECT_EQ(activation_type(TensorType::Q8_0), TensorType::Q8_0);
  EXPECT_EQ(activation_type(TensorType::Q4_K), TensorType::Q8_K);
  EXPECT_EQ(activation_type(TensorType::Q6_K), TensorType::Q8_K);
  EXPECT_EQ(activation_type(TensorType::F16), TensorType::F16);
  EXPECT_EQ(activation_type(TensorType::BF16), TensorType::BF16);
  EXPECT_EQ(activation_type(TensorType::F32), TensorType::F32);
}

// q8_0: d = amax/127 (as f16), q = round-half-even(x · 127/amax).
TEST(Activations, Q8_0MatchesItsDefinition) {
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[i] = 0.25f * static_cast<float>(i - 16);  // amax = 4 at i = 0
  block_q8_0 b;
  quantize_activations(TensorType::Q8_0, x.data(), &b, 32);
  EXPECT_EQ(b.d, f32_to_f16(4.0f / 127.0f));
  for (int i = 0; i < 32; ++i) EXPECT_EQ(b.qs[i], static_cast<int8_t>(std::nearbyint(x[i] * (127.0f / 4.0f)))) << i;
  EXPECT_EQ(b.qs[0], -127);
}

// q8_K: the signed largest value maps to -127; bsums are the sums of each 16.
TEST(Activations, Q8_KMatchesItsDefinition) {
  const auto x = random_vector(256, 7);
  block_q8_K b;
  quantize_activations(TensorType::Q8_K, x.data(), &b, 256);
  int largest = 0;
  for (int i = 1; i < 256; ++i) largest = std::fabs(x[i]) > std::fabs(x[largest]) ? i : largest;
  EXPECT_EQ(b.qs[largest], -127);
  EXPECT_FLOAT_EQ(b.d, 1.0f / (-127.0f / x[largest]));
  for (int j = 0; j < 16; ++j) {
    int sum = 0;
    for (int i = 0; i < 16; ++i) sum += b.qs[16 * j + i];
    EXPECT_EQ(b.bsums[j], sum);
  }
  for (int i = 0; i < 256; ++i) EXPECT_NEAR(b.d * b.qs[i], x[i], std::fabs(b.d) * 0.5f + 1e-7f);
}

TEST(Matmul, ThreadsDoNotChangeResults) {
  const int64_t cols = 256, rows = 37, tokens = 5;
  const auto wf = random_vector(cols * rows, 3);
  std::vector<uint8_t> w(row_bytes(TensorType::Q4_K, cols) * rows);
  for (int64_t r = 0; r < rows; ++r) {
    quantize_row(TensorType::Q4_K, wf.data() + r * cols, w.data() + r * row_bytes(TensorType::Q4_K, cols), cols);
  }
  WeightMatrix m{TensorType::Q4_K, w.data(), cols, rows, row_bytes(TensorType::Q4_K, cols), nullptr};
  const auto x = random_vector(cols * tokens, 4);
  std::vector<float> y1(rows * tokens), y3(rows * tokens);
  ThreadPool one(1), three(3);
  matmul(m, x.data(), tokens, y1.data(), one);
  matmul(m, x.data(), tokens, y3.data(), three);
  EXPECT_EQ(y1, y3);
  // And each output is the row's dot product with that token's activations.
  std::vector<uint8_t> act(activation_bytes(TensorType::Q8_K, cols));
  quantize_activations(TensorType::Q8_K, x.data() + 2 * cols, act.data(), cols);
  EXPECT_EQ(y1[2 * rows + 5], vec_dot(TensorType::Q4_K, w.data() + 5 * m.row_bytes, act.data(), cols));
}

TEST(Ops, RmsNormGivesUnitRms) {
  const auto x = random_vector(300, 9, 5.0f);
  std::vector<float> y(300);
  rms_norm(x.data(), nullptr, 300, 1e-6f, y.data());
  double s = 0;
  for (float v : y) s += v * v;
  EXPECT_NEAR(s / 300, 1.0, 1e-5);
  std::vector<float> w(300, 2.0f), y2(300);
  rms_norm(x.data(), w.data(), 300, 1e-6f, y2.data());
  for (int i = 0; i < 300; ++i) EXPECT_FLOAT_EQ(y2[i], 2.0f * y[i]);
}

// rms_norm_rows runs eight rows' sums side by side: each row must still come out bit for
// bit as rms_norm gives it (whole groups and a tail, with and without a weight, in place).
TEST(Ops, RmsNormRowsEqualsRmsNormRowByRow) {
  for (const int64_t rows : {1, 7, 8, 19}) {
    for (const int64_t n : {64, 300}) {
      // Rows of very different magnitudes, so a sum taken in another order would differ.
      std::vector<float> x(static_cast<size_t>(rows * n));
      for (int64_t r = 0; r < rows; ++r) {
        const auto row = random_vector(n, static_cast<uint32_t>(100 + r), std::ldexp(1.0f, static_cast<int>(r % 5) * 7 - 10));
        std::copy(row.begin(), row.end(), x.begin() + r * n);
      }
      const auto w = random_vector(n, 7);
      for (const float* weight : {static_cast<const float*>(nullptr), w.data()}) {
        std::vector<float> want(x.size()), got(x.size()), in_place = x;
        for (int64_t r = 0; r < rows; ++r) rms_norm(x.data() + r * n, weight, n, 1e-6f, want.data() + r * n);
        rms_norm_rows(x.data(), weight, rows, n, 1e-6f, got.data());
        rms_norm_rows(in_place.data(), weight, rows, n, 1e-6f, in_place.data());
        EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0) << rows << " rows of " << n;
        EXPECT_EQ(std::memcmp(in_place.data(), want.data(), want.size() * sizeof(float)), 0) << "in place";
      }
    }
  }
}

TEST(Ops, GeluIsTheTanhFormulaAtF16Precision) {
  for (float x = -9.5f; x < 9.5f; x += 0.037f) {
    const float exact = 0.5f * x * (1.0f + std::tanh(0.7978845608f * x * (1.0f + 0.044715f * x * x)));
    EXPECT_NEAR(gelu(x), exact, 2e-3f * std::max(1.0f, std::fabs(exact))) << x;
  }
  EXPECT_EQ(gelu(-20.0f), 0.0f);
  EXPECT_EQ(gelu(20.0f), 20.0f);
}

TEST(Ops, RopeRotatesPairsAndHonoursFreqFactors) {
  const int n = 16;
  std::vector<float> c(n / 2), s(n / 2);
  rope_tables(0, n, 10000.0f, nullptr, c.data(), s.data());
  for (int j = 0; j < n / 2; ++j) {
    EXPECT_EQ(c[j], 1.0f);
    EXPECT_EQ(s[j], 0.0f);
  }
  std::vector<float> ff(n / 2, 1.0f);
  for (int j = n / 8; j < n / 2; ++j) ff[j] = 1e30f;
  rope_tables(123, n, 10000.0f, ff.data(), c.data(), s.data());
  EXPECT_FLOAT_EQ(c[0], std::cos(123.0f));  // θ_0 = p
  auto v = random_vector(n, 5);
  const auto before = v;
  rope_neox_apply(v.data(), n, c.data(), s.data());
  for (int j = 0; j < n / 2; ++j) {
    const float r0 = std::hypot(before[j], before[j + n / 2]), r1 = std::hypot(v[j], v[j + n / 2]);
    EXPECT_NEAR(r0, r1, 1e-5f);
    if (j >= n / 8) {  // 1e30 frequency factor: not rotated
      EXPECT_FLOAT_EQ(v[j], before[j]);
      EXPECT_FLOAT_EQ(v[j + n / 2], before[j + n / 2]);
    }
  }
}

TEST(Ops, SoftmaxIgnoresMaskedEntries) {
  std::vector<float> x = {1.0f, -INFINITY, 2.0f, 0.5f};
  softmax(x.data(), 4);
  EXPECT_EQ(x[1], 0.0f);
  EXPECT_NEAR(x[0] + x[2] + x[3], 1.0f, 1e-6f);
  EXPECT_NEAR(x[2] / x[0], std::exp(1.0f), 1e-5f);
}

}  // namespace
}  // namespace edgelm
