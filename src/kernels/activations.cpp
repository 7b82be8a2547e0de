#include "kernels/activations.h"

#include <cmath>
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "kernels/cpu_features.h"
#include "quant/blocks.h"
#include "util/error.h"
#include "util/half.h"

namespace edgelm {

TensorType activation_type(TensorType w) {
  switch (w) {
    case TensorType::F16: return TensorType::F16;
    case TensorType::BF16: return TensorType::BF16;
    case TensorType::Q4_0: case TensorType::Q5_0: case TensorType::Q8_0: case TensorType::IQ4_NL:
      return TensorType::Q8_0;
    case TensorType::Q4_K: case TensorType::Q5_K: case TensorType::Q6_K: case TensorType::IQ4_XS:
      return TensorType::Q8_K;
    default: return TensorType::F32;
  }
}

uint64_t activation_bytes(TensorType act_type, int64_t n) { return row_bytes(act_type, static_cast<uint64_t>(n)); }

namespace {

void quantize_q8_0(const float* x, block_q8_0* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b, x += kQK) {
    float amax = 0.0f;
    for (int i = 0; i < kQK; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    block_q8_0 out;
    out.d = f32_to_f16(d);
    for (int i = 0; i < kQK; ++i) out.qs[i] = static_cast<int8_t>(std::nearbyint(x[i] * id));
    std::memcpy(&y[b], &out, sizeof out);
  }
}

void quantize_q8_K(const float* x, block_q8_K* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    block_q8_K out{};
    float max = 0.0f, amax = 0.0f;
    for (int i = 0; i < kQK_K; ++i) {
      const float ax = std::fabs(x[i]);
      if (ax > amax) {
        amax = ax;
        max = x[i];
      }
    }
    if (amax != 0.0f) {
      const float iscale = -127.0f / max;
      for (int i = 0; i < kQK_K; ++i) {
        const int v = static_cast<int>(std::nearbyint(iscale * x[i]));
        out.qs[i] = static_cast<int8_t>(std::min(127, v));
      }
      for (int j = 0; j < kQK_K / 16; ++j) {
        int sum = 0;
        for (int i = 0; i < 16; ++i) sum += out.qs[16 * j + i];
        out.bsums[j] = static_cast<int16_t>(sum);
      }
      out.d = 1.0f / iscale;
    }
    std::memcpy(&y[b], &out, sizeof out);
  }
}

#if defined(__x86_64__)
// F16C rounds to nearest even like f32_to_f16 (the AVX2 level implies F16C).
__attribute__((target("avx2,f16c"))) void f32_to_f16_row_f16c(const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  for (; i < n; ++i) out[i] = f32_to_f16(x[i]);
}
#endif

}  // namespace

void f32_to_f16_row(const float* x, uint16_t* out, int64_t n) {
#if defined(__x86_64__)
  if (cpu_level() != CpuLevel::kScalar) {
    f32_to_f16_row_f16c(x, out, n);
    return;
  }
#endif
  for (int64_t i = 0; i < n; ++i) out[i] = f32_to_f16(x[i]);
}

void quantize_activations(TensorType act_type, const float* x, void* out, int64_t n) {
  switch (act_type) {
    case TensorType::F32: std::memcpy(out, x, static_cast<size_t>(n) * sizeof(float)); return;
    case TensorType::F16: {
      f32_to_f16_row(x, static_cast<uint16_t*>(out), n);
      return;
    }
    case TensorType::BF16: {
      auto* o = static_cast<uint16_t*>(out);
      for (int64_t i = 0; i < n; ++i) o[i] = f32_to_bf16(x[i]);
      return;
    }
    case TensorType::Q8_0: quantize_q8_0(x, static_cast<block_q8_0*>(out), n); return;
    case TensorType::Q8_K: quantize_q8_K(x, static_cast<block_q8_K*>(out), n); return;
    default: fail("no activation format {}", type_name(act_type));
  }
}

}  // namespace edgelm
