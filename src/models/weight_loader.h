#pragma once
// Typed, checked views of a GGUF's tensors for the model loaders: a matrix must have
// exactly the expected shape and a type edgelm computes with, a small vector is copied
// to f32. Every error names the file, the tensor and what was expected.
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

  // A matrix [cols, rows] that must exist with exactly this shape (at most 2-D).
  WeightMatrix matrix(const std::string& name, int64_t cols, int64_t rows) const;
  // Absent: an empty WeightMatrix (present() is false).
  WeightMatrix optional_matrix(const std::string& name, int64_t cols, int64_t rows) const;
  // A tensor of exactly the shape `ne` (ggml order, any rank up to 4) seen as a matrix
  // of rows of ne[0]·…·ne[row_dims-1] values: a convolution kernel [kw, kh, c, out]
  // with row_dims 3 is a matrix of `out` rows of kw·kh·c values.
  WeightMatrix shaped_matrix(const std::string& name, const std::vector<int64_t>& ne, int row_dims) const;

  // A small vector of exactly n values copied to f32 (any dequantizable type).
  std::vector<float> vector(const std::string& name, int64_t n) const;
  // Every value of a tensor as f32.
  std::vector<float> to_f32(const TensorInfo& t) const;

  const GgufFile& file() const { return f_; }

 private:
  WeightMatrix view(const TensorInfo& t, int64_t cols, int64_t rows) const;

  const GgufFile& f_;
};

}  // namespace edgelm
