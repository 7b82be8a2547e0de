#pragma once
// y = W·x for a batch of activation rows, W a (possibly quantized) matrix in the
// mapping. Activations are converted once to the weight type's activation format (into
// a per-thread buffer reused across calls); threads take tiles of weight rows from a
// shared counter, and each tile serves every token of the batch, so each weight byte
// is read from memory once per batch. The kernels are the active CPU level's
// (kernels/quant_kernels.h); results do not depend on the level or the thread count.
#include <cstdint>
#include <memory>
#include <vector>

#include "quant/tensor_type.h"

namespace edgelm {

class ThreadPool;
struct PackedMatrix;  // kernels/packed_weights.h

// A row-major view of a GGUF matrix [cols, rows] (ggml order): `rows` rows of `cols`.
struct WeightMatrix {
  TensorType type = TensorType::F32;
  const uint8_t* data = nullptr;
  int64_t cols = 0;
  int64_t rows = 0;
  uint64_t row_bytes = 0;
  // A copy in a SIMD-friendly layout made at load time (pack_weight_matrix), used
  // instead of `data` while the CPU level it was made for is active.
  std::shared_ptr<const PackedMatrix> packed;

  bool present() const { return data != nullptr; }
  // Rows [first, first + count) as their own matrix (fused qkv tensors).
  WeightMatrix slice_rows(int64_t first, int64_t count) const;
};

// y[t * w.rows + r] = W[r] · x[t * w.cols ...] for t < n_tokens.
void matmul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

}  // namespace edgelm
