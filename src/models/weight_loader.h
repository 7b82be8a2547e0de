#pragma once
// Typed, checked views of a GGUF's tensors for a model's weights: matrices stay in the
// mapping, small vectors (norm weights, rope factors) are copied to f32. Every lookup
// checks presence, shape and type and names the file and tensor when they are wrong.
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/matmul.h"

namespace edgelm {

class GgufFile;
struct TensorInfo;

class WeightLoader {
 public:
  explicit WeightLoader(const GgufFile& file) : f_(file) {}

  const TensorInfo* find(const std::string& name) const;

  // A matrix [cols, rows] (ggml order) that must exist with exactly this shape.
  WeightMatrix matrix(const std::string& name, int64_t cols, int64_t rows) const;
  // The same, or an empty WeightMatrix (present() == false) when the file lacks it.
  WeightMatrix optional_matrix(const std::string& name, int64_t cols, int64_t rows) const;

  // A tensor of exactly the shape `ne` (ggml order, any rank up to 4) seen as a matrix
  // of rows of ne[0]·…·ne[row_dims-1] values: a convolution kernel [kw, kh, c, out]
  // with row_dims 3 is a matrix of `out` rows of kw·kh·c values.
  WeightMatrix shaped_matrix(const std::string& name, const std::vector<int64_t>& ne, int row_dims) const;

  // A vector of n values copied to f32 (any dequantizable type).
  std::vector<float> vector(const std::string& name, int64_t n) const;
  // Every value of a tensor as f32.
  std::vector<float> to_f32(const TensorInfo& t) const;

  const GgufFile& file() const { return f_; }

  // Fails naming the tensor when the file has it: for optional features of an
  // architecture that edgelm does not implement (biases, experts, ...).
  void refuse(const std::string& name, const char* why) const;

 private:
  WeightMatrix view(const TensorInfo& t, int64_t cols, int64_t rows) const;
  // `t` as rows of `cols` values, its shape already checked.
  WeightMatrix rows_of(const TensorInfo& t, int64_t cols, int64_t rows) const;

  const GgufFile& f_;
};

}  // namespace edgelm
