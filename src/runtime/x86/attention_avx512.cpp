// The f16 attention kernels on 512-bit registers (16 lanes, llama.cpp's count on
// AVX-512 CPUs). Compiled with -mavx512f -mf16c -mfma (src/CMakeLists.txt); reached only
// through runtime/attention_simd.cpp.
#if defined(__x86_64__)
// GCC 12's AVX-512 headers initialise "undefined" vectors from themselves, which its
// own uninitialized-use warnings then report at every inlined use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "runtime/attention_simd.h"
#include "util/half.h"

namespace edgelm::avx512 {
namespace {

using F = __m512;
constexpr int kW = 16;
inline F vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, F v) { _mm512_storeu_ps(p, v); }
inline F vzero() { return _mm512_setzero_ps(); }
inline F vset1(float x) { return _mm512_set1_ps(x); }
inline F vadd(F a, F b) { return _mm512_add_ps(a, b); }
inline F vfma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
inline F vload_f16(const uint8_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
// _mm512_reduce_add_ps's order: halves, then quarters, then (0+2) + (1+3).
inline float hsum(F v) {
  const __m256 t8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  const __m128 t4 = _mm_add_ps(_mm256_castps256_ps128(t8), _mm256_extractf128_ps(t8, 1));
  const __m128 t2 = _mm_add_ps(t4, _mm_movehl_ps(t4, t4));
  return _mm_cvtss_f32(_mm_add_ss(t2, _mm_movehdup_ps(t2)));
}
inline float f16_value(uint16_t bits) { return f16_to_f32(bits); }
// Rounded to f16 (nearest even, as f32_to_f16) and back.
inline F vround_f16(F v) { return _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)); }

}  // namespace

#include "runtime/x86/attention_x86.inc"

}  // namespace edgelm::avx512
#endif
