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

WeightMatrix WeightLoader::view(const TensorInfo& t, int64_t cols, int64_t rows) const {
  if (t.ne[0] != cols || t.n_rows() != rows || t.n_dims > 2) {
    fail("{}: tensor '{}' has shape {}, expected [{}, {}]", f_.name(), t.name, t.shape_string(), cols, rows);
  }
  if (!type_traits(t.type).can_dequantize) {
    fail("{}: tensor '{}' has type {}, which edgelm cannot compute with", f_.name(), t.name, type_name(t.type));
  }
  WeightMatrix m;
  m.type = t.type;
  m.data = t.data;
  m.cols = cols;
  m.rows = rows;
  m.row_bytes = t.row_bytes();
  return m;
}

}  // namespace edgelm
