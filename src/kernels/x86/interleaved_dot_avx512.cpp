// dot_f32_interleaved on 512-bit registers (16 rows per register). Compiled with
// -mavx512f -mfma (src/CMakeLists.txt); reached only through kernels/interleaved_dot.cpp.
#if defined(__x86_64__)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12's AVX-512 headers (see kernels_avx512.cpp)
#endif
#include <immintrin.h>

#include <vector>

#include "kernels/interleaved_dot.h"

namespace edgelm::avx512 {
namespace {
struct Vec {
  using F = __m512;
  static constexpr int kRows = 16;
  static F zero() { return _mm512_setzero_ps(); }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static F set1(float v) { return _mm512_set1_ps(v); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
};
}  // namespace
#include "kernels/x86/interleaved_dot_x86.inc"
}  // namespace edgelm::avx512
#endif
