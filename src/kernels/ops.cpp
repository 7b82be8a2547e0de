#include "kernels/ops.h"

#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/quant_kernels.h"
#include "util/half.h"

namespace edgelm {

void rms_norm(const float* x, const float* w, int64_t n, float eps, float* out) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  if (w != nullptr) {
    for (int64_t i = 0; i < n; ++i) out[i] = (x[i] * scale) * w[i];
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale;
  }
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
