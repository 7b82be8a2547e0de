#include "models/weight_loader.h"

#include "gguf/gguf_reader.h"
#include "quant/dequantize.h"
#include "util/error.h"

namespace edgelm {

const TensorInfo* WeightLoader::find(const std::string& name) const { return f_.find_tensor(name); }

WeightMatrix WeightLoader::matrix(const std::string& name, int64_t cols, int64_t rows) const {
  return view(f_.tensor(name), cols, rows);
}

WeightMatrix WeightLoader::optional_matrix(const std::string& name, int64_t cols, int64_t rows) const {
  const TensorInfo* t = find(name);
  return t ? view(*t, cols, rows) : WeightMatrix{};
}

std::vector<float> WeightLoader::vector(const std::string& name, int64_t n) const {
  const TensorInfo& t = f_.tensor(name);
  if (t.n_elements != static_cast<uint64_t>(n) || t.ne[0] != n) {
    fail("{}: tensor '{}' has shape {}, expected [{}]", f_.name(), name, t.shape_string(), n);
  }
  return to_f32(t);
}

void WeightLoader::refuse(const std::string& name, const char* why) const {
  if (find(name)) fail("{}: tensor '{}' is not supported: {}", f_.name(), name, why);
}

std::vector<float> WeightLoader::to_f32(const TensorInfo& t) const {
  if (!type_traits(t.type).can_dequantize) {
    fail("{}: tensor '{}' has type {}, which edgelm cannot compute with", f_.name(), t.name, type_name(t.type));
  }
  std::vector<float> out(t.n_elements);
  dequantize_row(t.type, t.data, out.data(), static_cast<int64_t>(t.n_elements));
  return out;
}

WeightMatrix WeightLoader::shaped_matrix(const std::string& name, const std::vector<int64_t>& ne,
                                         int row_dims) const {
  const TensorInfo& t = f_.tensor(name);
  bool same = ne.size() <= kGgufMaxDims && t.n_dims <= ne.size();
  for (size_t i = 0; same && i < kGgufMaxDims; ++i) same = t.ne[i] == (i < ne.size() ? ne[i] : 1);
  if (!same) {
    std::string want;
    for (int64_t n : ne) want += (want.empty() ? "" : ", ") + std::to_string(n);
    fail("{}: tensor '{}' has shape {}, expected [{}]", f_.name(), name, t.shape_string(), want);
  }
  int64_t cols = 1, rows = 1;
  for (size_t i = 0; i < ne.size(); ++i) (static_cast<int>(i) < row_dims ? cols : rows) *= ne[i];
  if (cols % type_traits(t.type).block_size != 0) {
    fail("{}: tensor '{}' of type {} has rows of {} values, not a multiple of its block size", f_.name(), name,
         type_name(t.type), cols);
  }
  return rows_of(t, cols, rows);
}

WeightMatrix WeightLoader::view(const TensorInfo& t, int64_t cols, int64_t rows) const {
  if (t.ne[0] != cols || t.n_rows() != rows || t.n_dims > 2) {
    fail("{}: tensor '{}' has shape {}, expected [{}, {}]", f_.name(), t.name, t.shape_string(), cols, rows);
  }
  return rows_of(t, cols, rows);
}

WeightMatrix WeightLoader::rows_of(const TensorInfo& t, int64_t cols, int64_t rows) const {
  if (!type_traits(t.type).can_dequantize) {
    fail("{}: tensor '{}' has type {}, which edgelm cannot compute with", f_.name(), t.name, type_name(t.type));
  }
  WeightMatrix m;
  m.type = t.type;
  m.data = t.data;
  m.cols = cols;
  m.rows = rows;
  m.row_bytes = rows ? t.n_bytes / static_cast<uint64_t>(rows) : 0;
  return m;
}

}  // namespace edgelm
