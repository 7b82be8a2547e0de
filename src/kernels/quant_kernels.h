#pragma once
// The kernels behind matmul(), one table per CPU level (kernels/cpu_features.h).
//
// Every level computes bit-identical results. The scalar level is the reference: its
// rows kernel is vec_dot() per row and token, its quantizers are
// quantize_activations(). SIMD levels vectorize across weight rows: a tile of 8 or 16
// rows advances block by block, each row keeping the scalar kernel's own f32
// accumulation order in its vector lane, while the block's integer dot products (exact)
// are computed in whatever order is fastest.
//
// Only matmul.cpp and the tests use this header.
#include <cstdint>

#include "kernels/cpu_features.h"
#include "quant/tensor_type.h"

namespace edgelm {

// One quantized weight matrix times a batch of activation rows already converted to
// activation_type(type).
struct QuantMatmulArgs {
  TensorType type = TensorType::F32;
  const uint8_t* w = nullptr;   // row 0
  uint64_t w_row_bytes = 0;
  int64_t rows = 0;             // rows of the whole matrix (kernels get ranges of it)
  int64_t cols = 0;             // elements per row, a multiple of the block size
  const uint8_t* acts = nullptr;  // token 0's converted activations
  uint64_t act_row_bytes = 0;
  // For q8_0 activations: the sum of each 32-block's int8 values, cols/32 per token
  // (lets kernels use unsigned weight codes); null for other formats.
  const int32_t* act_sums = nullptr;
  // For q8_0 activations: each 32-block's scale d as f32 (read once per block and
  // token by every tile of rows, so converted once here instead); null for others.
  const float* act_scales = nullptr;
  int64_t n_tokens = 0;
  float* y = nullptr;           // y[t * y_stride + r]
  int64_t y_stride = 0;
};

// Computes y for weight rows [r0, r1) and every token.
using RowsKernel = void (*)(const QuantMatmulArgs& args, int64_t r0, int64_t r1);
// Converts n floats (a multiple of the format's block size) to q8_0 or q8_K.
using QuantizeKernel = void (*)(const float* x, void* out, int64_t n);
// out[i] = gelu(gate[i]) * up[i] (see kernels/ops.h).
using GegluKernel = void (*)(const float* gate, const float* up, int64_t n, float* out);

struct KernelTable {
  CpuLevel level = CpuLevel::kScalar;
  // Rows per kernel step; row ranges handed to a rows kernel should be multiples of
  // it (except at the matrix's end) so no tile is split between threads.
  int tile_rows = 1;
  // Tiles the packed prompt kernels take at once (several tokens): prompt row ranges
  // should be multiples of tile_rows x this, or the rest goes tile by tile.
  int prompt_tile_group = 1;
  QuantizeKernel quantize_q8_0 = nullptr;
  QuantizeKernel quantize_q8_K = nullptr;
  RowsKernel q4_0 = nullptr, q8_0 = nullptr, iq4_nl = nullptr;
  RowsKernel q4_K = nullptr, q5_K = nullptr, q6_K = nullptr;
  RowsKernel bf16 = nullptr;
  GegluKernel geglu = nullptr;
  // Kernels over packed copies (kernels/packed_weights.h), null where there are none.
  RowsKernel q4_0_packed = nullptr, iq4_nl_packed = nullptr, q4_K_packed = nullptr, q5_K_packed = nullptr, q6_K_packed = nullptr;

  // The kernel for `type`, or null where this level has none (the caller then uses
  // the scalar table's).
  RowsKernel rows_kernel(TensorType type) const;
  QuantizeKernel quantizer(TensorType act_type) const;
  // The kernel for a packed copy of a `type` matrix, or null.
  RowsKernel packed_rows_kernel(TensorType type) const;
};

// The table of `level` (which must be supported by this CPU: see cpu_features()).
const KernelTable& kernel_table(CpuLevel level);

// Σ of each 32-block's int8 values of q8_0 activations and the block's scale as f32:
// n/32 of each.
void q8_0_block_sums(const void* acts, int64_t n, int32_t* sums, float* scales);

// Per-level tables, defined in their own translation units (compiled with that level's
// instruction set flags; never call them on a CPU without it).
const KernelTable& scalar_kernel_table();
#if defined(__x86_64__)
const KernelTable& avx2_kernel_table();
const KernelTable& avx512_kernel_table();
#endif

}  // namespace edgelm
