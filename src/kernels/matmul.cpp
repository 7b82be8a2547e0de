#include "kernels/matmul.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/activations.h"
#include "kernels/float_dot.h"
#include "kernels/packed_weights.h"
#include "kernels/quant_kernels.h"
#include "runtime/thread_pool.h"
#include "util/error.h"

namespace edgelm {

WeightMatrix WeightMatrix::slice_rows(int64_t first, int64_t count) const {
  WeightMatrix s = *this;
  s.data = data + static_cast<uint64_t>(first) * row_bytes;
  s.rows = count;
  return s;
}

namespace {

// Converted activations of the current matmul. Per calling thread, grown to the largest
// batch seen and then reused: a decode step runs hundreds of matmuls.
struct ActivationBuffer {
  std::vector<uint8_t> bytes;
  std::vector<int32_t> block_sums;
  std::vector<float> block_scales;
};

ActivationBuffer& activation_buffer() {
  thread_local ActivationBuffer buffer;
  return buffer;
}

template <typename T>
T* reserve(std::vector<T>& v, uint64_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// Below this many activations per matmul, converting them on one thread is cheaper
// than waking the others.
constexpr int64_t kParallelConvertMin = 1 << 16;

}  // namespace

void matmul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  if (n_tokens <= 0 || w.rows <= 0) return;
  const KernelTable& kernels = kernel_table(cpu_level());
  const TensorType act = activation_type(w.type);
  const uint64_t act_row = activation_bytes(act, w.cols);
  RowsKernel rows = kernels.rows_kernel(w.type);
  int64_t tile = kernels.tile_rows;
  const uint8_t* weights = w.data;
  uint64_t weight_row_bytes = w.row_bytes;
  if (w.packed && w.packed->level == kernels.level && kernels.packed_rows_kernel(w.type) != nullptr) {
    rows = kernels.packed_rows_kernel(w.type);
    weights = w.packed->bytes.get();
    weight_row_bytes = w.packed->row_bytes;
  } else if (rows == nullptr || w.row_bytes * static_cast<uint64_t>(tile) > INT32_MAX) {
    // SIMD kernels gather per-row fields with 32-bit offsets within a tile.
    rows = scalar_kernel_table().rows_kernel(w.type);
    tile = 1;
  }

  ActivationBuffer& buf = activation_buffer();
  uint8_t* acts = reserve(buf.bytes, act_row * static_cast<uint64_t>(n_tokens));
  const bool with_sums = act == TensorType::Q8_0 && kernels.level != CpuLevel::kScalar;
  const int64_t blocks_per_token = w.cols / 32;
  int32_t* sums = with_sums ? reserve(buf.block_sums, static_cast<uint64_t>(blocks_per_token * n_tokens)) : nullptr;
  float* scales = with_sums ? reserve(buf.block_scales, static_cast<uint64_t>(blocks_per_token * n_tokens)) : nullptr;
  const QuantizeKernel quantize = kernels.quantizer(act);
  auto convert = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      uint8_t* out = acts + static_cast<uint64_t>(t) * act_row;
      if (quantize != nullptr) quantize(x + t * w.cols, out, w.cols);
      else quantize_activations(act, x + t * w.cols, out, w.cols);
      if (with_sums) q8_0_block_sums(out, w.cols, sums + t * blocks_per_token, scales + t * blocks_per_token);
    }
  };
  if (n_tokens * w.cols < kParallelConvertMin) convert(0, n_tokens);
  else pool.parallel_ranges(n_tokens, convert);

  if (w.type == TensorType::F32 || w.type == TensorType::F16) {
    // Float sums follow llama.cpp's order, which depends on the batch size (float_dot.h).
    FloatGemmArgs g;
    g.f16 = w.type == TensorType::F16;
    g.w = w.data;
    g.row_bytes = w.row_bytes;
    g.acts = acts;
    g.act_bytes = act_row;
    g.n_tokens = n_tokens;
    g.n = w.cols;
    g.y = y;
    g.y_stride = w.rows;
    const FloatDotOrder order = float_dot_order(n_tokens, w.cols);
    pool.parallel_ranges(w.rows, [&](int64_t r0, int64_t r1) { float_matmul_rows(g, order, r0, r1); });
    return;
  }

  QuantMatmulArgs args;
  args.type = w.type;
  args.w = weights;
  args.w_row_bytes = weight_row_bytes;
  args.rows = w.rows;
  args.cols = w.cols;
  args.acts = acts;
  args.act_row_bytes = act_row;
  args.act_sums = sums;
  args.act_scales = scales;
  args.n_tokens = n_tokens;
  args.y = y;
  args.y_stride = w.rows;
  // Whole tiles, about eight chunks per thread: enough to even out threads that run at
  // different speeds, few enough that handing them out costs nothing.
  const int64_t tiles = (w.rows + tile - 1) / tile;
  int64_t chunk_tiles = std::max<int64_t>(1, tiles / (8 * static_cast<int64_t>(pool.size())));
  if (n_tokens > 1 && weights != w.data) {
    const int64_t group = kernels.prompt_tile_group;
    chunk_tiles = (chunk_tiles + group - 1) / group * group;
  }
  pool.parallel_chunks(w.rows, chunk_tiles * tile, [&](int64_t r0, int64_t r1) { rows(args, r0, r1); });
}

}  // namespace edgelm
