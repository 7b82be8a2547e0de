// llama.cpp's float summation orders for 8 lanes (AVX/AVX2 builds of llama.cpp) on
// 256-bit registers: see float_dot_x86.inc. Compiled with -mavx2 -mfma -mf16c.
#if defined(__x86_64__)
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/float_dot.h"
#include "kernels/float_reduce.h"
#include "util/half.h"

namespace edgelm {
namespace {
struct V {
  using F = __m256;
  static constexpr int kLanes = 8;
  static F zero() { return _mm256_setzero_ps(); }
  static F set1(float v) { return _mm256_set1_ps(v); }
  static F load_f32(const uint8_t* p) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p)); }
  static F load_f16(const uint8_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static F fma(F a, F b, F acc) { return _mm256_fmadd_ps(a, b, acc); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
};
}  // namespace
#define KERNELS_FUNCTION avx2_float_dot_kernels
#include "kernels/x86/float_dot_x86.inc"
}  // namespace edgelm
#endif
