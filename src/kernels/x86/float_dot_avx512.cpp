// llama.cpp's float summation orders for 16 lanes (AVX-512 builds of llama.cpp) on
// 512-bit registers: see float_dot_x86.inc. Compiled with the AVX-512 flags.
#if defined(__x86_64__)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12's AVX-512 headers (see kernels_avx512.cpp)
#endif
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
  using F = __m512;
  static constexpr int kLanes = 16;
  static F zero() { return _mm512_setzero_ps(); }
  static F set1(float v) { return _mm512_set1_ps(v); }
  static F load_f32(const uint8_t* p) { return _mm512_loadu_ps(p); }
  static F load_f16(const uint8_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static F fma(F a, F b, F acc) { return _mm512_fmadd_ps(a, b, acc); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
};
}  // namespace
#define KERNELS_FUNCTION avx512_float_dot_kernels
#include "kernels/x86/float_dot_x86.inc"
}  // namespace edgelm
#endif
