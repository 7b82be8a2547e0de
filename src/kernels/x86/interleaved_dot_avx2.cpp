// dot_f32_interleaved on 256-bit registers (8 rows per register). Compiled with -mavx2
// -mfma (src/CMakeLists.txt); reached only through kernels/interleaved_dot.cpp.
#if defined(__x86_64__)
#include <immintrin.h>

#include <vector>

#include "kernels/interleaved_dot.h"

namespace edgelm::avx2 {
namespace {
struct Vec {
  using F = __m256;
  static constexpr int kRows = 8;
  static F zero() { return _mm256_setzero_ps(); }
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static F set1(float v) { return _mm256_set1_ps(v); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
};
}  // namespace
#include "kernels/x86/interleaved_dot_x86.inc"
}  // namespace edgelm::avx2
#endif
