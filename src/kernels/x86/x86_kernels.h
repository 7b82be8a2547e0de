#pragma once
// Entry points of the x86 SIMD kernels (the algorithms: quant_kernels_x86.inc). Each
// namespace's functions live in a translation unit compiled with that instruction set
// (see src/CMakeLists.txt): call them only when cpu_features() says the CPU has it.
// quant_kernels.cpp builds the dispatch tables from them.
#include <cstdint>

namespace edgelm {

struct QuantMatmulArgs;

// AVX2 + FMA + F16C: tiles of 8 rows.
namespace avx2 {
inline constexpr int kTileRows = 8;
inline constexpr int kPromptTileGroup = 1;  // tiles the packed q4_0/iq4_nl prompt kernels take at once
void quantize_q8_0(const float* x, void* out, int64_t n);
void quantize_q8_K(const float* x, void* out, int64_t n);
void rows_q4_0(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q8_0(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_iq4_nl(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q4_K(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q5_K(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q6_K(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_bf16(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
// Packed copies (kernels/packed_weights.h) of q4_0 / iq4_nl matrices.
void rows_q4_0_packed(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_iq4_nl_packed(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q4_K_packed(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q5_K_packed(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q6_K_packed(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void geglu(const float* gate, const float* up, int64_t n, float* out);
}  // namespace avx2

// AVX-512 F/BW/VL + VNNI: tiles of 16 rows.
namespace avx512 {
inline constexpr int kTileRows = 16;
inline constexpr int kPromptTileGroup = 3;
void quantize_q8_0(const float* x, void* out, int64_t n);
void quantize_q8_K(const float* x, void* out, int64_t n);
void rows_q4_0(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q8_0(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_iq4_nl(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q4_K(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q5_K(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q6_K(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_bf16(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q4_0_packed(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_iq4_nl_packed(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q4_K_packed(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q5_K_packed(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void rows_q6_K_packed(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
void geglu(const float* gate, const float* up, int64_t n, float* out);
}  // namespace avx512

}  // namespace edgelm
