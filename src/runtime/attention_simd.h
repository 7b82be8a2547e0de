#pragma once
// SIMD versions of the f16 attention products, bit-identical to the references in
// kernels/float_dot.h (dot_f16_ordered in the vector order, f16_weighted_cells). They
// vectorize what the references do element by element, keeping every lane's
// fused multiply-adds and every reduction in the same order. Used when the CPU level is
// AVX2 or AVX-512 and llama.cpp's lane count on this CPU matches it (8 / 16), for head
// dimensions that are a multiple of 4 lanes; otherwise the references run.
#include <cstdint>
#include <vector>

namespace edgelm {

bool simd_f16_available(int64_t head_dim);

// scores[h * count + i] = dot_f16_ordered(kVector, row(cells[i]), q_h) where q holds
// the f16 query values as f32 ([n_q][head_dim]) and rows are f16.
void simd_f16_key_scores(const uint8_t* base, uint64_t row_bytes, const uint32_t* cells, uint32_t count,
                         const float* q, int n_q, int64_t head_dim, float* scores);

// out[h * head_dim ...] = f16_weighted_cells(cells, f16(p[h]), rows, count, span, head_dim).
void simd_f16_weighted_values(const uint8_t* base, uint64_t row_bytes, const uint32_t* cells, uint32_t count,
                              const float* p, int n_q, uint32_t span, int64_t head_dim, float* out,
                              std::vector<float>& scratch);

// Per instruction set (x86/attention_*.cpp, compiled with its flags); call only when
// the CPU has it.
namespace avx2 {
void attn_round_f16(const float* p, uint64_t n, float* out);
void attn_f16_key_scores(const uint8_t* base, uint64_t row_bytes, const uint32_t* cells, uint32_t count,
                         const float* q, int n_q, int64_t head_dim, float* scores);
void attn_f16_weighted_values(const uint8_t* base, uint64_t row_bytes, const uint32_t* cells, uint32_t count,
                              const float* p16, int n_q, uint32_t span, int64_t head_dim, float* out, float* acc);
}  // namespace avx2
namespace avx512 {
void attn_round_f16(const float* p, uint64_t n, float* out);
void attn_f16_key_scores(const uint8_t* base, uint64_t row_bytes, const uint32_t* cells, uint32_t count,
                         const float* q, int n_q, int64_t head_dim, float* scores);
void attn_f16_weighted_values(const uint8_t* base, uint64_t row_bytes, const uint32_t* cells, uint32_t count,
                              const float* p16, int n_q, uint32_t span, int64_t head_dim, float* out, float* acc);
}  // namespace avx512

// Floats the weighted-values kernels need as scratch for n_q heads.
inline uint64_t simd_f16_values_scratch(int n_q, int lanes) {
  return static_cast<uint64_t>(n_q) * 4 * lanes * 64 + 64 * 64 + 16;
}

}  // namespace edgelm
