#include "kernels/ops.h"

#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/float_dot.h"
#include "kernels/quant_kernels.h"
#include "util/half.h"

namespace edgelm {

namespace {

float rms_scale(double sum, int64_t n, float eps) {
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  return 1.0f / std::sqrt(mean + eps);
}

void scale_row(const float* x, const float* w, int64_t n, float scale, float* out) {
  if (w != nullptr) {
    for (int64_t i = 0; i < n; ++i) out[i] = (x[i] * scale) * w[i];
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale;
  }
}

}  // namespace

void rms_norm(const float* x, const float* w, int64_t n, float eps, float* out) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  scale_row(x, w, n, rms_scale(sum, n, eps), out);
}

void rms_norm_rows(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* out) {
  constexpr int kGroup = 8;
  int64_t r = 0;
  for (; r + kGroup <= rows; r += kGroup) {
    const float* xs = x + r * n;
    double sum[kGroup] = {};
    for (int64_t i = 0; i < n; ++i) {
      for (int g = 0; g < kGroup; ++g) {
        const float v = xs[g * n + i];
        sum[g] += static_cast<double>(v * v);
      }
    }
    for (int g = 0; g < kGroup; ++g) scale_row(xs + g * n, w, n, rms_scale(sum[g], n, eps), out + (r + g) * n);
  }
  for (; r < rows; ++r) rms_norm(x + r * n, w, n, eps, out + r * n);
}

namespace {

float gelu_exact(float x) {
  constexpr float kCoefA = 0.044715f;
  constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + kCoefA * x * x)));
}

const std::array<uint16_t, 65536>& gelu_table() {
  static const auto table = [] {
    std::array<uint16_t, 65536> t{};
    for (uint32_t i = 0; i < t.size(); ++i) t[i] = f32_to_f16(gelu_exact(f16_to_f32(static_cast<uint16_t>(i))));
    return t;
  }();
  return table;
}

}  // namespace

float gelu(float x) {
  if (x <= -10.0f) return 0.0f;
  if (x >= 10.0f) return x;
  return f16_to_f32(gelu_table()[f32_to_f16(x)]);
}

void geglu_reference(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = gelu(gate[i]) * up[i];
}

void geglu(const float* gate, const float* up, int64_t n, float* out) {
  kernel_table(cpu_level()).geglu(gate, up, n, out);
}

const float* gelu_table_f32() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t i = 0; i < t.size(); ++i) t[i] = f16_to_f32(gelu_table()[i]);
    return t;
  }();
  return table.data();
}

void rope_tables(int64_t pos, int n_dims, float base, const float* freq_factors, float* cos_out, float* sin_out) {
  const float theta_scale = std::pow(base, -2.0f / static_cast<float>(n_dims));
  float theta = static_cast<float>(pos);
  for (int j = 0; j < n_dims / 2; ++j) {
    const float ff = freq_factors != nullptr ? freq_factors[j] : 1.0f;
    const float t = theta / ff;
    cos_out[j] = std::cos(t);
    sin_out[j] = std::sin(t);
    theta *= theta_scale;
  }
}

void rope_neox_apply(float* v, int n_dims, const float* cos_t, const float* sin_t) {
  const int half = n_dims / 2;
  for (int j = 0; j < half; ++j) {
    const float x0 = v[j], x1 = v[j + half];
    v[j] = x0 * cos_t[j] - x1 * sin_t[j];
    v[j + half] = x0 * sin_t[j] + x1 * cos_t[j];
  }
}

void rope_normal_apply(float* v, int n_dims, const float* cos_t, const float* sin_t) {
  for (int j = 0; j < n_dims / 2; ++j) {
    const float x0 = v[2 * j], x1 = v[2 * j + 1];
    v[2 * j] = x0 * cos_t[j] - x1 * sin_t[j];
    v[2 * j + 1] = x0 * sin_t[j] + x1 * cos_t[j];
  }
}

namespace {

uint32_t float_bits(float f) { return std::bit_cast<uint32_t>(f); }
float bits_float(uint32_t u) { return std::bit_cast<float>(u); }

// ggml's ggml_v_expf, one lane at a time: e^x = 2^n · (1 + p(b)) with n = round(x·log2 e)
// and b the remainder, p a degree-5 polynomial. The AVX-512 version scales by 2^n with
// one rounding (vscalefps); the AVX2 version builds 2^n from the exponent bits and
// multiplies k·(1 + p) as k + k·p in one fma, with a slow path near over/underflow.
// The fused multiply-adds are spelled out because their single rounding is the point.
[[gnu::always_inline]] inline float expf_avx512(float x) {
  const float r = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, r);
  const float n = z - r;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const float u = b * b;
  const float j = std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                                    std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                           u, std::fma(0x1.ffffecp-1f, b, 1.0f));
  if (!(std::fabs(n) <= 192.0f)) {  // NaN included: it stays NaN
    return std::isnan(n) ? n : n <= 0.0f ? 0.0f : std::numeric_limits<float>::infinity();
  }
  return std::ldexp(j, static_cast<int>(n));
}

[[gnu::always_inline]] inline float expf_avx2(float x) {
  const float r = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, r);
  const float n = z - r;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const uint32_t e = float_bits(z) << 23;
  const float k = bits_float(e + float_bits(1.0f));
  const float u = b * b;
  const float j = std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                                    std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                           u, 0x1.ffffecp-1f * b);
  if (!(std::fabs(n) > 126.0f)) return std::fma(k, j, k);
  const uint32_t g = n <= 0.0f ? 0x82000000u : 0u;
  const float s1 = bits_float(g + 0x7f000000u);
  const float s2 = bits_float(e - g);
  if (std::fabs(n) > 192.0f) return s1 * s1;
  return std::fma(s2, j, s2) * s1;
}

template <int kLanes>
[[gnu::always_inline]] inline float silu_lane(float x) {
  const float e = kLanes == 16 ? expf_avx512(-x) : kLanes == 8 ? expf_avx2(-x) : std::exp(-x);
  return x / (1.0f + e);
}

template <int kLanes>
[[gnu::always_inline]] inline void swiglu_rows(const float* gate, const float* up, int64_t n_rows, int64_t width,
                                               float* out) {
  const int64_t vectorised = kLanes > 1 ? width / kLanes * kLanes : 0;
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* g = gate + r * width;
    const float* u = up + r * width;
    float* o = out + r * width;
    for (int64_t i = 0; i < vectorised; ++i) o[i] = silu_lane<kLanes>(g[i]) * u[i];
    for (int64_t i = vectorised; i < width; ++i) o[i] = silu_lane<1>(g[i]) * u[i];
  }
}

// Without the FMA instruction each std::fma is a libm call: compile an FMA clone too.
#if (defined(__x86_64__) || defined(__i386__)) && !defined(__SANITIZE_ADDRESS__)
#define EDGELM_OPS_FMA_CLONES __attribute__((target_clones("fma", "default")))
#else
#define EDGELM_OPS_FMA_CLONES
#endif

}  // namespace

EDGELM_OPS_FMA_CLONES float llama_vector_expf(float x, int lanes) {
  return lanes == 16 ? expf_avx512(x) : lanes == 8 ? expf_avx2(x) : std::exp(x);
}

EDGELM_OPS_FMA_CLONES void swiglu(const float* gate, const float* up, int64_t n_rows, int64_t width, float* out) {
  switch (llama_float_lanes()) {
    case 16: swiglu_rows<16>(gate, up, n_rows, width, out); break;
    case 8: swiglu_rows<8>(gate, up, n_rows, width, out); break;
    default: swiglu_rows<1>(gate, up, n_rows, width, out); break;
  }
}

void softmax(float* x, int64_t n) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float e = x[i] == -std::numeric_limits<float>::infinity() ? 0.0f : std::exp(x[i] - max);
    x[i] = e;
    sum += e;
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace edgelm
