#pragma once
// Many f32 dot products against one vector, each summed in exactly llama.cpp's order
// (kernels/float_dot.h), vectorised ACROSS the rows: the rows are stored interleaved,
// element i of row r at xt[i·stride + r], so one SIMD register holds the same element
// of 8 or 16 rows and every row keeps its own scalar summation order in its lane. This
// is how attention without a KV cache (the vision encoder) runs at SIMD speed and
// still adds up bit for bit like llama.cpp: q·K with K transposed ([head_dim][keys]),
// and p·V with V as it is ([keys][head_dim]).
#include <cstdint>

#include "kernels/float_dot.h"

namespace edgelm {

// out[r] = Σ_i xt[i·stride + r] · y[i] for r < rows, in `order` over i (bit-identical
// to dot_f32_ordered on row r), with the active CPU level's kernel. kGemm needs n to
// be a multiple of llama_float_lanes().
void dot_f32_interleaved(FloatDotOrder order, const float* xt, int64_t stride, int64_t rows, const float* y,
                         int64_t n, float* out);

// The portable version (the reference the SIMD ones are tested against).
void dot_f32_interleaved_reference(FloatDotOrder order, const float* xt, int64_t stride, int64_t rows,
                                   const float* y, int64_t n, float* out);

#if defined(__x86_64__)
namespace avx2 {
void dot_f32_interleaved(FloatDotOrder order, const float* xt, int64_t stride, int64_t rows, const float* y,
                         int64_t n, float* out);
}
namespace avx512 {
void dot_f32_interleaved(FloatDotOrder order, const float* xt, int64_t stride, int64_t rows, const float* y,
                         int64_t n, float* out);
}
#endif

}  // namespace edgelm
