#pragma once
// Across-lane sums in the order of the horizontal adds llama.cpp's kernels use, shared
// by the scalar reference (kernels/float_dot.cpp) and the SIMD versions, which store
// their accumulators and finish with these so both round identically. T is float, or a
// SIMD vector (GCC/Clang vector types add elementwise) reducing many sums at once.
namespace edgelm {

template <typename T>
[[gnu::always_inline]] inline T reduce16(const T* v) {  // _mm512_reduce_add_ps
  T t8[8], t4[4];
  for (int i = 0; i < 8; ++i) t8[i] = v[i] + v[i + 8];
  for (int i = 0; i < 4; ++i) t4[i] = t8[i] + t8[i + 4];
  return (t4[0] + t4[2]) + (t4[1] + t4[3]);
}
template <typename T>
[[gnu::always_inline]] inline T reduce8_hadd(const T* v) {  // ggml's GGML_F32x8_REDUCE: two _mm_hadd_ps
  T t[4];
  for (int i = 0; i < 4; ++i) t[i] = v[i] + v[i + 4];
  return (t[0] + t[1]) + (t[2] + t[3]);
}
template <typename T>
[[gnu::always_inline]] inline T reduce8_movehl(const T* v) {  // tinyBLAS hsum(__m256): movehl then movehdup
  T t[4];
  for (int i = 0; i < 4; ++i) t[i] = v[i] + v[i + 4];
  return (t[0] + t[2]) + (t[1] + t[3]);
}

}  // namespace edgelm
