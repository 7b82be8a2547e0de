#include "gguf/gguf_reader.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>

#include "util/checked_math.h"
#include "util/error.h"

namespace edgelm {
namespace {

// Sequential little-endian reader over the mapping. Every read is bounds-checked and
// a failure names what was being read and where.
class Cursor {
 public:
  Cursor(const uint8_t* base, uint64_t size, const std::string& name) : base_(base), size_(size), name_(name) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  template <typename T>
  T read(std::string_view what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, base_ + pos_, sizeof v);
    pos_ += sizeof(T);
    return v;
  }

  // Returns a pointer to `n` bytes at the cursor and advances past them.
  const uint8_t* take(uint64_t n, std::string_view what) {
    need(n, what);
    const uint8_t* p = base_ + pos_;
    pos_ += n;
    return p;
  }

  std::string_view read_string(std::string_view what) {
    const uint64_t at = pos_;
    const auto len = read<uint64_t>(what);
    if (len > remaining()) {
      fail("{}: {} at byte offset {} has length {} but only {} bytes remain in the file", name_, what, at, len,
           remaining());
    }
    return {reinterpret_cast<const char*>(take(len, what)), static_cast<size_t>(len)};
  }

 private:
  void need(uint64_t n, std::string_view what) const {
    if (n > size_ - pos_) {
      fail("{}: file is truncated: {} at byte offset {} needs {} bytes but only {} remain", name_, what, pos_, n,
           size_ - pos_);
    }
  }

  const uint8_t* base_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& name_;
};

std::string quoted(std::string_view s) { return fmt::format("'{}'", printable(s)); }

// Minimum bytes one array element of `t` occupies; used to reject absurd counts before
// allocating anything for them.
uint64_t min_element_bytes(ValueType t) {
  if (t == ValueType::STRING) return 8;      // u64 length
  if (t == ValueType::ARRAY) return 4 + 8;   // element type + count
  return value_type_size(t);
}

ValueType read_value_type(Cursor& cur, const std::string& file, std::string_view key, std::string_view what) {
  const uint64_t at = cur.pos();
  const auto id = cur.read<uint32_t>(what);
  if (value_type_name(id) == nullptr) {
    fail("{}: key {} has unknown value type {} at byte offset {}", file, quoted(key), id, at);
  }
  return static_cast<ValueType>(id);
}

void read_value(Cursor& cur, const std::string& file, std::string_view key, ValueType type, Value& out, int depth);

void read_array(Cursor& cur, const std::string& file, std::string_view key, Value& out, int depth) {
  if (depth >= kGgufMaxArrayNesting) {
    fail("{}: key {} nests arrays deeper than {} levels (byte offset {})", file, quoted(key), kGgufMaxArrayNesting,
         cur.pos());
  }
  out.elem_type = read_value_type(cur, file, key, "array element type");
  const uint64_t count_at = cur.pos();
  out.count = cur.read<uint64_t>("array length");
  const uint64_t per = min_element_bytes(out.elem_type);
  const auto need = checked_mul<uint64_t>(out.count, per);
  if (!need || *need > cur.remaining()) {
    fail("{}: key {} declares an array of {} {} elements at byte offset {}, more than the {} bytes left in the file",
         file, quoted(key), out.count, value_type_name(out.elem_type), count_at, cur.remaining());
  }
  switch (out.elem_type) {
    case ValueType::STRING:
      out.strings.reserve(out.count);
      for (uint64_t k = 0; k < out.count; ++k) out.strings.push_back(cur.read_string("array string"));
      break;
    case ValueType::ARRAY:
      out.items.resize(out.count);
      for (uint64_t k = 0; k < out.count; ++k) {
        out.items[k].type = ValueType::ARRAY;
        read_array(cur, file, key, out.items[k], depth + 1);
      }
      break;
    default:
      out.raw = cur.take(*need, "array data");
      if (out.elem_type == ValueType::BOOL) {
        for (uint64_t k = 0; k < out.count; ++k) {
          if (out.raw[k] > 1) {
            fail("{}: key {} has bool array element {} with value {} at byte offset {} (must be 0 or 1)", file,
                 quoted(key), k, out.raw[k], count_at + 8 + k);
          }
        }
      }
      break;
  }
}

template <typename T>
T read_scalar(Cursor& cur) {
  return cur.read<T>("metadata value");
}

void read_value(Cursor& cur, const std::string& file, std::string_view key, ValueType type, Value& out, int depth) {
  out.type = type;
  switch (type) {
    case ValueType::U8: out.u = read_scalar<uint8_t>(cur); break;
    case ValueType::I8: out.i = read_scalar<int8_t>(cur); break;
    case ValueType::U16: out.u = read_scalar<uint16_t>(cur); break;
    case ValueType::I16: out.i = read_scalar<int16_t>(cur); break;
    case ValueType::U32: out.u = read_scalar<uint32_t>(cur); break;
    case ValueType::I32: out.i = read_scalar<int32_t>(cur); break;
    case ValueType::U64: out.u = read_scalar<uint64_t>(cur); break;
    case ValueType::I64: out.i = read_scalar<int64_t>(cur); break;
    case ValueType::F32: out.f = read_scalar<float>(cur); break;
    case ValueType::F64: out.f = read_scalar<double>(cur); break;
    case ValueType::BOOL: {
      const uint64_t at = cur.pos();
      const auto b = read_scalar<uint8_t>(cur);
      if (b > 1) fail("{}: key {} has bool value {} at byte offset {} (must be 0 or 1)", file, quoted(key), b, at);
      out.u = b;
      break;
    }
    case ValueType::STRING: out.str = cur.read_string("string value"); break;
    case ValueType::ARRAY: read_array(cur, file, key, out, depth); break;
  }
}

}  // namespace

std::string TensorInfo::shape_string() const {
  std::string s = "[";
  for (uint32_t d = 0; d < n_dims; ++d) s += fmt::format("{}{}", d ? ", " : "", ne[d]);
  return s + "]";
}

GgufFile GgufFile::open(const std::string& path) {
  GgufFile f;
  f.mapping_ = std::make_shared<MappedFile>(path);
  f.base_ = f.mapping_->data();
  f.size_ = f.mapping_->size();
  f.name_ = path;
  f.parse_all();
  return f;
}

GgufFile GgufFile::parse(const uint8_t* data, size_t size, std::string name) {
  GgufFile f;
  f.base_ = data;
  f.size_ = size;
  f.name_ = std::move(name);
  f.parse_all();
  return f;
}

void GgufFile::parse_all() {
  Cursor cur(base_, size_, name_);
  const std::string& file = name_;

  // --- header --------------------------------------------------------------------
  if (size_ < 4) fail("{}: file is too small ({} bytes) to be a GGUF file", file, size_);
  const auto magic = cur.read<uint32_t>("magic");
  if (magic != kGgufMagic) {
    fail("{}: not a GGUF file (bad magic 0x{:08x} at byte offset 0; expected \"GGUF\")", file, magic);
  }
  version_ = cur.read<uint32_t>("version");
  if (version_ == 1) fail("{}: GGUF version 1 is not supported (re-convert the model; versions 2 and 3 are)", file);
  if (version_ == 0x03000000u || version_ == 0x02000000u) {
    fail("{}: this is a big-endian GGUF file; only little-endian files are supported", file);
  }
  if (version_ != 2 && version_ != 3) fail("{}: unsupported GGUF version {} at byte offset 4", file, version_);
  const auto n_tensors = cur.read<uint64_t>("tensor count");
  const auto n_kv = cur.read<uint64_t>("metadata key/value count");

  // --- metadata ------------------------------------------------------------------
  // A key/value needs at least 8 (key length) + 4 (type) + 1 bytes: reject absurd
  // counts before reserving anything.
  if (n_kv > cur.remaining() / 13) {
    fail("{}: header declares {} metadata entries at byte offset 16, more than the file can hold", file, n_kv);
  }
  kvs_.resize(n_kv);
  for (uint64_t k = 0; k < n_kv; ++k) {
    KeyValue& kv = kvs_[k];
    kv.offset = cur.pos();
    kv.key = cur.read_string("metadata key");
    if (kv.key.empty()) fail("{}: metadata key #{} at byte offset {} is empty", file, k, kv.offset);
    const ValueType type = read_value_type(cur, file, kv.key, "metadata value type");
    read_value(cur, file, kv.key, type, kv.value, 0);
    if (!kv_index_.emplace(kv.key, k).second) {
      fail("{}: duplicate metadata key {} at byte offset {}", file, quoted(kv.key), kv.offset);
    }
  }

  if (const Value* a = find("general.alignment")) {
    if (a->type != ValueType::U32) {
      fail("{}: key 'general.alignment' has type {}, expected u32", file, value_type_name(a->type));
    }
    if (a->u == 0 || (a->u & (a->u - 1)) != 0) {
      fail("{}: key 'general.alignment' is {}, which is not a power of two", file, a->u);
    }
    alignment_ = static_cast<uint32_t>(a->u);
  }

  // --- tensor infos --------------------------------------------------------------
  // Each info needs at least 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset) bytes.
  if (n_tensors > cur.remaining() / 24) {
    fail("{}: header declares {} tensors at byte offset 8, more than the file can hold", file, n_tensors);
  }
  tensors_.resize(n_tensors);
  for (uint64_t t = 0; t < n_tensors; ++t) {
    TensorInfo& ti = tensors_[t];
    ti.info_offset = cur.pos();
    ti.name = cur.read_string("tensor name");
    if (ti.name.empty()) fail("{}: tensor #{} at byte offset {} has an empty name", file, t, ti.info_offset);
    if (ti.name.size() > kGgufMaxTensorName) {
      fail("{}: tensor name {} at byte offset {} is {} bytes long (at most {} allowed)", file, quoted(ti.name),
           ti.info_offset, ti.name.size(), kGgufMaxTensorName);
    }
    const std::string tname = quoted(ti.name);
    ti.n_dims = cur.read<uint32_t>("tensor dimension count");
    if (ti.n_dims > kGgufMaxDims) {
      fail("{}: tensor {} has {} dimensions (at most {} supported)", file, tname, ti.n_dims, kGgufMaxDims);
    }
    for (uint32_t d = 0; d < ti.n_dims; ++d) {
      const auto dim = cur.read<uint64_t>("tensor dimension");
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        fail("{}: tensor {} dimension {} is {}, which is out of range", file, tname, d, dim);
      }
      ti.ne[d] = static_cast<int64_t>(dim);
    }
    const uint64_t type_at = cur.pos();
    const auto type_id = cur.read<uint32_t>("tensor type");
    const TypeTraits* traits = find_type_traits(type_id);
    if (traits == nullptr) {
      fail("{}: tensor {} has unknown type id {} at byte offset {}", file, tname, type_id, type_at);
    }
    ti.type = traits->type;
    ti.offset = cur.read<uint64_t>("tensor data offset");

    // The product of the non-zero dimensions must fit in int64 too: a zero dimension
    // must not hide an overflowing product of the others (n_rows() multiplies them).
    uint64_t n = 1, n_nonzero = 1;
    for (int64_t dim : ti.ne) {
      auto next = checked_mul<uint64_t>(n_nonzero, dim == 0 ? 1 : static_cast<uint64_t>(dim));
      if (!next || *next > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        fail("{}: tensor {} has shape {} whose element count overflows", file, tname, ti.shape_string());
      }
      n_nonzero = *next;
      n *= static_cast<uint64_t>(dim);  // n <= n_nonzero
    }
    ti.n_elements = n;
    if (ti.ne[0] % traits->block_size != 0) {
      fail("{}: tensor {} has rows of {} elements, not a multiple of the {} block size {}", file, tname, ti.ne[0],
           traits->name, traits->block_size);
    }
    // n is a multiple of ne[0], hence of the block size; bytes = blocks * block bytes.
    auto bytes = checked_mul<uint64_t>(n / traits->block_size, traits->type_size);
    if (!bytes) fail("{}: tensor {} byte size overflows", file, tname);
    ti.n_bytes = *bytes;
    if (ti.offset % alignment_ != 0) {
      fail("{}: tensor {} data offset {} is not a multiple of the alignment {}", file, tname, ti.offset, alignment_);
    }
    if (!tensor_index_.emplace(ti.name, t).second) {
      fail("{}: duplicate tensor name {} at byte offset {}", file, tname, ti.info_offset);
    }
  }

  // --- data section --------------------------------------------------------------
  auto data_start = checked_align_up(cur.pos(), alignment_);
  if (!data_start) fail("{}: data section offset overflows", file);
  data_offset_ = *data_start;
  if (!tensors_.empty() && data_offset_ > size_) {
    fail("{}: file is truncated: the tensor data section should start at byte offset {} but the file has {} bytes",
         file, data_offset_, size_);
  }
  const uint64_t data_size = data_offset_ <= size_ ? size_ - data_offset_ : 0;
  for (TensorInfo& ti : tensors_) {
    auto end = checked_add<uint64_t>(ti.offset, ti.n_bytes);
    if (!end || *end > data_size) {
      fail("{}: tensor {} data (offset {}, {} bytes) extends past the end of the file (data section is {} bytes)",
           file, quoted(ti.name), ti.offset, ti.n_bytes, data_size);
    }
    ti.data = base_ + data_offset_ + ti.offset;
  }
}

// --- metadata lookups -----------------------------------------------------------------

const Value* GgufFile::find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kvs_[it->second].value;
}

const Value& GgufFile::require(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) fail("{}: missing metadata key {}", name_, quoted(key));
  return *v;
}

std::string_view GgufFile::architecture() const { return get_string_or("general.architecture", ""); }

namespace {

[[noreturn]] void wrong_type(const std::string& file, std::string_view key, const Value& v, std::string_view expected) {
  std::string got = value_type_name(v.type);
  if (v.is_array()) got = fmt::format("array of {}", value_type_name(v.elem_type));
  fail("{}: key {} has type {}, expected {}", file, quoted(key), got, expected);
}

uint64_t integer_in_range(const std::string& file, std::string_view key, const Value& v, uint64_t max) {
  if (!is_integer_type(v.type)) wrong_type(file, key, v, "an integer");
  const bool negative = (v.type == ValueType::I8 || v.type == ValueType::I16 || v.type == ValueType::I32 ||
                         v.type == ValueType::I64) && v.i < 0;
  const uint64_t u = negative ? 0 : (v.type == ValueType::I8 || v.type == ValueType::I16 ||
                                     v.type == ValueType::I32 || v.type == ValueType::I64)
                                        ? static_cast<uint64_t>(v.i)
                                        : v.u;
  if (negative || u > max) {
    fail("{}: key {} has value {} which is out of range (0..{})", file, quoted(key), v.to_display(), max);
  }
  return u;
}

}  // namespace

uint32_t GgufFile::get_u32(std::string_view key) const {
  return static_cast<uint32_t>(integer_in_range(name_, key, require(key), std::numeric_limits<uint32_t>::max()));
}

uint32_t GgufFile::get_u32_or(std::string_view key, uint32_t fallback) const {
  return has(key) ? get_u32(key) : fallback;
}

uint64_t GgufFile::get_u64(std::string_view key) const {
  return integer_in_range(name_, key, require(key), std::numeric_limits<uint64_t>::max());
}

float GgufFile::get_f32(std::string_view key) const {
  const Value& v = require(key);
  if (v.is_array() || v.type == ValueType::STRING || v.type == ValueType::BOOL) wrong_type(name_, key, v, "a number");
  return static_cast<float>(v.as_double());
}

float GgufFile::get_f32_or(std::string_view key, float fallback) const { return has(key) ? get_f32(key) : fallback; }

bool GgufFile::get_bool(std::string_view key) const {
  const Value& v = require(key);
  if (v.type != ValueType::BOOL) wrong_type(name_, key, v, "bool");
  return v.u != 0;
}

bool GgufFile::get_bool_or(std::string_view key, bool fallback) const { return has(key) ? get_bool(key) : fallback; }

std::string_view GgufFile::get_string(std::string_view key) const {
  const Value& v = require(key);
  if (v.type != ValueType::STRING) wrong_type(name_, key, v, "string");
  return v.str;
}

std::string_view GgufFile::get_string_or(std::string_view key, std::string_view fallback) const {
  return has(key) ? get_string(key) : fallback;
}

const std::vector<std::string_view>& GgufFile::get_string_array(std::string_view key) const {
  const Value& v = require(key);
  if (!v.is_array() || v.elem_type != ValueType::STRING) wrong_type(name_, key, v, "array of string");
  return v.strings;
}

std::vector<int64_t> GgufFile::get_int_array(std::string_view key) const {
  const Value& v = require(key);
  if (!v.is_array() || !is_integer_type(v.elem_type)) wrong_type(name_, key, v, "array of integers");
  std::vector<int64_t> out(v.count);
  for (uint64_t k = 0; k < v.count; ++k) {
    const Value e = v.element(k);
    if (e.type == ValueType::U64 && e.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail("{}: key {} element {} is out of range", name_, quoted(key), k);
    }
    out[k] = e.as_int();
  }
  return out;
}

std::vector<float> GgufFile::get_f32_array(std::string_view key) const {
  const Value& v = require(key);
  if (!v.is_array() || (v.elem_type != ValueType::F32 && v.elem_type != ValueType::F64)) {
    wrong_type(name_, key, v, "array of f32");
  }
  std::vector<float> out(v.count);
  for (uint64_t k = 0; k < v.count; ++k) out[k] = static_cast<float>(v.element(k).f);
  return out;
}

std::vector<bool> GgufFile::get_bool_array(std::string_view key) const {
  const Value& v = require(key);
  if (!v.is_array() || (v.elem_type != ValueType::BOOL && !is_integer_type(v.elem_type))) {
    wrong_type(name_, key, v, "array of bool");
  }
  std::vector<bool> out(v.count);
  for (uint64_t k = 0; k < v.count; ++k) out[k] = v.element(k).as_int() != 0;
  return out;
}

std::optional<std::vector<uint32_t>> GgufFile::get_u32_per_layer_opt(std::string_view key, uint32_t n_layers) const {
  const Value* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_array()) return std::vector<uint32_t>(n_layers, get_u32(key));
  if (!is_integer_type(v->elem_type)) wrong_type(name_, key, *v, "an integer or an array of integers");
  if (v->count != n_layers) {
    fail("{}: key {} has {} entries but the model has {} layers", name_, quoted(key), v->count, n_layers);
  }
  std::vector<uint32_t> out(n_layers);
  for (uint32_t l = 0; l < n_layers; ++l) {
    const Value e = v->element(l);
    out[l] = static_cast<uint32_t>(
        integer_in_range(name_, fmt::format("{}[{}]", key, l), e, std::numeric_limits<uint32_t>::max()));
  }
  return out;
}

std::vector<uint32_t> GgufFile::get_u32_per_layer(std::string_view key, uint32_t n_layers) const {
  auto v = get_u32_per_layer_opt(key, n_layers);
  if (!v) fail("{}: missing metadata key {}", name_, quoted(key));
  return *v;
}

// --- tensors ------------------------------------------------------------------------

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const TensorInfo& GgufFile::tensor(std::string_view name) const {
  const TensorInfo* t = find_tensor(name);
  if (t == nullptr) fail("{}: missing tensor {}", name_, quoted(name));
  return *t;
}

uint64_t GgufFile::total_tensor_bytes() const {
  uint64_t total = 0;
  for (const auto& t : tensors_) total += t.n_bytes;  // each is within the file, so no overflow
  return total;
}

}  // namespace edgelm
