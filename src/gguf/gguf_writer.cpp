#include "gguf/gguf_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "gguf/gguf_reader.h"
#include "util/error.h"

namespace edgelm {

GgufWriter::GgufWriter(std::string path) : path_(std::move(path)), tmp_path_(path_ + ".partial") {
  out_ = std::fopen(tmp_path_.c_str(), "wb");
  if (out_ == nullptr) fail("{}: cannot create: {}", tmp_path_, std::strerror(errno));
  static constexpr size_t kBuffer = 8 << 20;
  std::setvbuf(out_, nullptr, _IOFBF, kBuffer);
}

GgufWriter::~GgufWriter() {
  if (out_ != nullptr) std::fclose(out_);
  if (!finished_) std::remove(tmp_path_.c_str());
}

// --- metadata ---------------------------------------------------------------------

void GgufWriter::put_bytes(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  kv_bytes_.insert(kv_bytes_.end(), b, b + n);
}

void GgufWriter::put_string(std::string_view s) {
  put<uint64_t>(s.size());
  put_bytes(s.data(), s.size());
}

void GgufWriter::begin_kv(std::string_view key, ValueType type) {
  if (header_written_) fail("{}: metadata key '{}' added after the header was written", path_, key);
  if (std::find(keys_.begin(), keys_.end(), key) != keys_.end()) fail("{}: duplicate metadata key '{}'", path_, key);
  keys_.emplace_back(key);
  ++n_kv_;
  put_string(key);
  put<uint32_t>(static_cast<uint32_t>(type));
}

void GgufWriter::add_u32(std::string_view key, uint32_t v) { begin_kv(key, ValueType::U32); put(v); }
void GgufWriter::add_i32(std::string_view key, int32_t v) { begin_kv(key, ValueType::I32); put(v); }
void GgufWriter::add_u64(std::string_view key, uint64_t v) { begin_kv(key, ValueType::U64); put(v); }
void GgufWriter::add_f32(std::string_view key, float v) { begin_kv(key, ValueType::F32); put(v); }
void GgufWriter::add_bool(std::string_view key, bool v) { begin_kv(key, ValueType::BOOL); put<uint8_t>(v ? 1 : 0); }
void GgufWriter::add_string(std::string_view key, std::string_view v) {
  begin_kv(key, ValueType::STRING);
  put_string(v);
}

void GgufWriter::add_u32_array(std::string_view key, std::span<const uint32_t> v) {
  begin_kv(key, ValueType::ARRAY);
  put<uint32_t>(static_cast<uint32_t>(ValueType::U32));
  put<uint64_t>(v.size());
  put_bytes(v.data(), v.size_bytes());
}

void GgufWriter::add_i32_array(std::string_view key, std::span<const int32_t> v) {
  begin_kv(key, ValueType::ARRAY);
  put<uint32_t>(static_cast<uint32_t>(ValueType::I32));
  put<uint64_t>(v.size());
  put_bytes(v.data(), v.size_bytes());
}

void GgufWriter::add_f32_array(std::string_view key, std::span<const float> v) {
  begin_kv(key, ValueType::ARRAY);
  put<uint32_t>(static_cast<uint32_t>(ValueType::F32));
  put<uint64_t>(v.size());
  put_bytes(v.data(), v.size_bytes());
}

void GgufWriter::add_bool_array(std::string_view key, const std::vector<bool>& v) {
  begin_kv(key, ValueType::ARRAY);
  put<uint32_t>(static_cast<uint32_t>(ValueType::BOOL));
  put<uint64_t>(v.size());
  for (bool b : v) put<uint8_t>(b ? 1 : 0);
}

void GgufWriter::add_string_array(std::string_view key, std::span<const std::string_view> v) {
  begin_kv(key, ValueType::ARRAY);
  put<uint32_t>(static_cast<uint32_t>(ValueType::STRING));
  put<uint64_t>(v.size());
  for (auto s : v) put_string(s);
}

void GgufWriter::put_value_body(const Value& v) {
  switch (v.type) {
    case ValueType::STRING: put_string(v.str); return;
    case ValueType::ARRAY:
      put<uint32_t>(static_cast<uint32_t>(v.elem_type));
      put<uint64_t>(v.count);
      if (v.elem_type == ValueType::STRING) {
        for (auto s : v.strings) put_string(s);
      } else if (v.elem_type == ValueType::ARRAY) {
        for (const Value& item : v.items) put_value_body(item);
      } else {
        put_bytes(v.raw, v.count * value_type_size(v.elem_type));
      }
      return;
    case ValueType::U8: put<uint8_t>(static_cast<uint8_t>(v.u)); return;
    case ValueType::BOOL: put<uint8_t>(v.u ? 1 : 0); return;
    case ValueType::I8: put<int8_t>(static_cast<int8_t>(v.i)); return;
    case ValueType::U16: put<uint16_t>(static_cast<uint16_t>(v.u)); return;
    case ValueType::I16: put<int16_t>(static_cast<int16_t>(v.i)); return;
    case ValueType::U32: put<uint32_t>(static_cast<uint32_t>(v.u)); return;
    case ValueType::I32: put<int32_t>(static_cast<int32_t>(v.i)); return;
    case ValueType::U64: put<uint64_t>(v.u); return;
    case ValueType::I64: put<int64_t>(v.i); return;
    case ValueType::F32: put<float>(static_cast<float>(v.f)); return;
    case ValueType::F64: put<double>(v.f); return;
  }
}

void GgufWriter::add_value(std::string_view key, const Value& v) {
  begin_kv(key, v.type);
  put_value_body(v);
}

void GgufWriter::set_alignment(uint32_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) fail("alignment {} is not a power of two", alignment);
  if (!tensors_.empty()) fail("{}: alignment must be set before tensors are declared", path_);
  alignment_ = alignment;
  add_u32("general.alignment", alignment);
}

// --- tensors ----------------------------------------------------------------------

void GgufWriter::add_tensor(std::string_view name, TensorType type, std::span<const int64_t> dims) {
  if (header_written_) fail("{}: tensor '{}' declared after the header was written", path_, name);
  if (dims.empty() || dims.size() > kGgufMaxDims) fail("tensor '{}': {} dimensions", name, dims.size());
  if (name.size() > kGgufMaxTensorName) fail("tensor name '{}' is longer than {} bytes", name, kGgufMaxTensorName);
  for (const auto& t : tensors_) {
    if (t.name == name) fail("{}: duplicate tensor '{}'", path_, name);
  }
  const TypeTraits& traits = type_traits(type);
  if (dims[0] % traits.block_size != 0) {
    fail("tensor '{}': row length {} is not a multiple of the {} block size {}", name, dims[0], traits.name,
         traits.block_size);
  }
  uint64_t n = 1;
  for (int64_t d : dims) n *= static_cast<uint64_t>(d);
  const uint64_t bytes = n / traits.block_size * traits.type_size;
  tensors_.push_back({std::string(name), type, {dims.begin(), dims.end()}, bytes, data_size_});
  data_size_ += (bytes + alignment_ - 1) / alignment_ * alignment_;
}

void GgufWriter::write_raw(const void* p, size_t n) {
  if (n != 0 && std::fwrite(p, 1, n, out_) != n) fail("{}: write failed: {}", tmp_path_, std::strerror(errno));
  written_ += n;
}

void GgufWriter::pad_to_alignment() {
  static constexpr uint8_t kZeros[256] = {};
  const uint64_t pad = (alignment_ - written_ % alignment_) % alignment_;
  write_raw(kZeros, pad);
}

void GgufWriter::write_header() {
  if (header_written_) fail("{}: header written twice", path_);
  header_written_ = true;
  const uint32_t magic = kGgufMagic, version = 3;
  const uint64_t n_tensors = tensors_.size();
  write_raw(&magic, 4);
  write_raw(&version, 4);
  write_raw(&n_tensors, 8);
  write_raw(&n_kv_, 8);
  write_raw(kv_bytes_.data(), kv_bytes_.size());
  kv_bytes_.clear();
  kv_bytes_.shrink_to_fit();
  for (const auto& t : tensors_) {
    const uint64_t len = t.name.size();
    write_raw(&len, 8);
    write_raw(t.name.data(), t.name.size());
    const auto n_dims = static_cast<uint32_t>(t.dims.size());
    write_raw(&n_dims, 4);
    for (int64_t d : t.dims) {
      const auto ud = static_cast<uint64_t>(d);
      write_raw(&ud, 8);
    }
    const auto type = static_cast<uint32_t>(t.type);
    write_raw(&type, 4);
    write_raw(&t.offset, 8);
  }
  pad_to_alignment();
}

void GgufWriter::write_tensor_data(const void* data, size_t n) {
  if (!header_written_) fail("{}: tensor data written before the header", path_);
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    if (current_ >= tensors_.size()) fail("{}: more tensor data written than declared", path_);
    const PendingTensor& t = tensors_[current_];
    const uint64_t take = std::min<uint64_t>(n, t.n_bytes - current_filled_);
    write_raw(p, take);
    p += take;
    n -= take;
    current_filled_ += take;
    if (current_filled_ == t.n_bytes) {
      pad_to_alignment();
      ++current_;
      current_filled_ = 0;
    }
  }
  // Zero-byte tensors are complete as soon as they are reached.
  while (current_ < tensors_.size() && tensors_[current_].n_bytes == 0) ++current_;
}

void GgufWriter::finish() {
  if (!header_written_) write_header();
  while (current_ < tensors_.size() && tensors_[current_].n_bytes == 0) ++current_;
  if (current_ != tensors_.size()) {
    fail("{}: tensor '{}' is missing data ({} of {} bytes written)", path_, tensors_[current_].name, current_filled_,
         tensors_[current_].n_bytes);
  }
  if (std::fflush(out_) != 0 || std::ferror(out_)) fail("{}: write failed: {}", tmp_path_, std::strerror(errno));
  if (std::fclose(out_) != 0) {
    out_ = nullptr;
    fail("{}: close failed: {}", tmp_path_, std::strerror(errno));
  }
  out_ = nullptr;
  std::error_code ec;
  std::filesystem::rename(tmp_path_, path_, ec);
  if (ec) fail("{}: cannot rename to {}: {}", tmp_path_, path_, ec.message());
  finished_ = true;
}

}  // namespace edgelm
