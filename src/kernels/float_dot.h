#pragma once
// f32 and f16 dot products summed in llama.cpp's orders. Float sums are not
// associative: the order decides the last bits, and on random-weight models those bits
// decide near-tie tokens. llama.cpp's CPU backend uses two orders, both shaped by its
// SIMD width on the running CPU (16 lanes with AVX-512, 8 with AVX/AVX2, plain double
// sums without SIMD):
//  - vector order (ggml_vec_dot_f32 / ggml_vec_dot_f16): 4 accumulators of W lanes
//    over steps of 4·W elements, fused multiply-add, reduced 0+2, 1+3, then 0+1, then
//    across lanes; leftover elements after the reduction (f32: float fma; f16: double);
//  - gemm order (llamafile's tinyBLAS, used for matrix products of 2+ tokens when the
//    row length is a multiple of W): one accumulator of W lanes, then across lanes.
// The public functions use SIMD versions where the CPU level (kernels/cpu_features.h)
// has one for llama.cpp's lane count here (AVX2 for 8 lanes, AVX-512 for 16), and the
// scalar reference versions (namespace float_dot_ref, the oracle the SIMD versions are
// tested against) otherwise; all give bit-identical results.
#include <cstdint>

namespace edgelm {

// The SIMD width llama.cpp's CPU backend sums f32/f16 with on this CPU: 16, 8 or 1.
int llama_float_lanes();

enum class FloatDotOrder { kVector, kGemm };

// Which order llama.cpp uses for a matrix product of `n_tokens` rows of length `n`.
FloatDotOrder float_dot_order(int64_t n_tokens, int64_t n);

// x may be unaligned (a weight row in the mapping); y is an activation row.
float dot_f32_ordered(FloatDotOrder order, const uint8_t* x, const float* y, int64_t n);
float dot_f16_ordered(FloatDotOrder order, const uint8_t* x, const uint16_t* y, int64_t n);

// out[k] = Σ_e p[e]·rows[e][k] for k < width: the attention output p·V of llama.cpp's
// non-flash path, an f16 dot product (vector order) over the n_span cells of the
// transposed V cache. Only the cells with a non-zero probability are listed, in
// increasing order (`cells`); a cell's index decides its lane.
void f16_weighted_cells(const uint32_t* cells, const uint16_t* p, const uint16_t* const* rows, int64_t count,
                        int64_t n_span, int64_t width, float* out);

// The scalar reference versions for an explicit lane count (1, 8 or 16).
namespace float_dot_ref {
float dot_f32(int lanes, FloatDotOrder order, const uint8_t* x, const float* y, int64_t n);
float dot_f16(int lanes, FloatDotOrder order, const uint8_t* x, const uint16_t* y, int64_t n);
void weighted_cells(int lanes, const uint32_t* cells, const uint16_t* p, const uint16_t* const* rows, int64_t count,
                    int64_t n_span, int64_t width, float* out);
}  // namespace float_dot_ref

// A matrix product: y[t·y_stride + r] = dot(W row r, token t) for rows [r0, r1) and
// tokens [0, n_tokens), each exactly as dot_*_ordered(order, ...) computes it (the gemm
// order needs n % lanes == 0). Weight rows are `row_bytes` apart (f32 or f16 by `f16`),
// token rows `act_bytes` apart (f32, or f16 when the weights are f16).
struct FloatGemmArgs {
  bool f16 = false;
  const uint8_t* w = nullptr;
  uint64_t row_bytes = 0;
  const uint8_t* acts = nullptr;
  uint64_t act_bytes = 0;
  int64_t n_tokens = 0;
  int64_t n = 0;
  float* y = nullptr;
  int64_t y_stride = 0;
};
void float_matmul_rows(const FloatGemmArgs& a, FloatDotOrder order, int64_t r0, int64_t r1);

// One implementation of the functions for one lane count.
struct FloatDotKernels {
  int lanes = 1;
  float (*dot_f32)(FloatDotOrder, const uint8_t*, const float*, int64_t) = nullptr;
  float (*dot_f16)(FloatDotOrder, const uint8_t*, const uint16_t*, int64_t) = nullptr;
  void (*weighted_cells)(const uint32_t*, const uint16_t*, const uint16_t* const*, int64_t, int64_t, int64_t,
                         float*) = nullptr;
  // float_matmul_rows in the gemm order, in register blocks (several rows and tokens per pass over n, so
  // each load serves several multiply-adds); every output keeps the one-accumulator order.
  void (*gemm_rows)(const FloatGemmArgs&, int64_t, int64_t) = nullptr;
};
// The SIMD implementations (null where the build has none); call only on CPUs with the
// instruction set.
const FloatDotKernels* avx2_float_dot_kernels();    // 8 lanes
const FloatDotKernels* avx512_float_dot_kernels();  // 16 lanes
// The implementation the public functions use now (null: the reference).
const FloatDotKernels* active_float_dot_kernels();

// Matrix products of several tokens normally follow llama.cpp (gemm order); tests of
// batch invariance (prefill == token-by-token decode) switch to the vector order for
// every batch size.
void set_float_batch_invariant(bool on);
bool float_batch_invariant();

}  // namespace edgelm
