// The f16 attention kernels on 256-bit registers (8 lanes, llama.cpp's count on AVX
// CPUs without AVX-512). Compiled with -mavx2 -mf16c -mfma (src/CMakeLists.txt);
// reached only through runtime/attention_simd.cpp.
#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "runtime/attention_simd.h"
#include "util/half.h"

namespace edgelm::avx2 {
namespace {

using F = __m256;
constexpr int kW = 8;
inline F vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, F v) { _mm256_storeu_ps(p, v); }
inline F vzero() { return _mm256_setzero_ps(); }
inline F vset1(float x) { return _mm256_set1_ps(x); }
inline F vadd(F a, F b) { return _mm256_add_ps(a, b); }
inline F vfma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
inline F vload_f16(const uint8_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
// ggml's GGML_F32x8_REDUCE: halves, then two horizontal adds: (0+1) + (2+3).
inline float hsum(F v) {
  const __m128 t = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 h = _mm_hadd_ps(t, t);
  return _mm_cvtss_f32(_mm_hadd_ps(h, h));
}
inline float f16_value(uint16_t bits) { return f16_to_f32(bits); }
// Rounded to f16 (nearest even, as f32_to_f16) and back.
inline F vround_f16(F v) { return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)); }

}  // namespace

#include "runtime/x86/attention_x86.inc"

}  // namespace edgelm::avx2
#endif
