#pragma once
// Element-wise and row operations of the forward pass. Each follows the arithmetic
// of llama.cpp's CPU backend where that changes results measurably (documented per
// function), because token-for-token parity with it is the correctness bar.
#include <cstdint>

namespace edgelm {

// out = x / sqrt(mean(x²) + eps) [* w]. The sum of squares is accumulated in double
// and the scale applied before the weight, as ggml's rms_norm + mul do. `w` may be
// null (no weight). `out` may alias `x`.
void rms_norm(const float* x, const float* w, int64_t n, float eps, float* out);
// rms_norm of `rows` consecutive rows of n floats (row r at x + r·n and out + r·n), each
// bit for bit what rms_norm gives it. Rows go eight at a time with their sums of squares
// side by side: one chain of dependent double additions per row is what bounds
// rms_norm, and eight independent ones run about as fast as one.
void rms_norm_rows(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* out);

// tanh-approximated GELU through ggml's 64K-entry f16 table: the input is rounded to
// f16 and the result is an f16 value (exact outside [-10, 10]).
float gelu(float x);
// out[i] = gelu(gate[i]) * up[i] with the active CPU level's kernel (bit-identical to
// geglu_reference). `out` may alias `gate` or `up`.
void geglu(const float* gate, const float* up, int64_t n, float* out);
void geglu_reference(const float* gate, const float* up, int64_t n, float* out);
// The GELU table as f32, indexed by the f16 bits of the input (for SIMD kernels).
const float* gelu_table_f32();

// NeoX RoPE tables for one position: cos/sin of θ_j = p · base^(-2j/n_dims) / f_j for
// j < n_dims/2. θ is advanced by repeated f32 multiplication, exactly as ggml's rope
// cache does (this matters: the rounding drift reaches 1e-3 rad at position 600).
void rope_tables(int64_t pos, int n_dims, float base, const float* freq_factors, float* cos_out, float* sin_out);
// Rotates pairs (v[j], v[j + n_dims/2]) of one head by the tables.
void rope_neox_apply(float* v, int n_dims, const float* cos_t, const float* sin_t);
// "Normal" RoPE (GPT-J / Llama GGUF order): rotates adjacent pairs (v[2j], v[2j+1]).
void rope_normal_apply(float* v, int n_dims, const float* cos_t, const float* sin_t);

// SiLU x / (1 + e^-x) as llama.cpp's CPU backend computes it in its SwiGLU: each
// row's elements in whole SIMD vectors (llama_float_lanes()) go through ggml's
// vectorised e^x approximation (a polynomial, not libm's expf: up to ~1.5 ulp apart),
// the row's leftover elements through expf.
// out[r][i] = silu(gate[r][i]) * up[r][i] for n_rows rows of `width`; may alias.
void swiglu(const float* gate, const float* up, int64_t n_rows, int64_t width, float* out);
// The e^x of one element in a SIMD vector of `lanes` (16, 8; other: libm expf).
float llama_vector_expf(float x, int lanes);

// c · tanh(x / c)
inline float softcap(float x, float c);

// In-place softmax over n values; -inf entries get probability 0. Sum in double.
void softmax(float* x, int64_t n);

}  // namespace edgelm

#include <cmath>
inline float edgelm::softcap(float x, float c) { return c * std::tanh(x * (1.0f / c)); }
