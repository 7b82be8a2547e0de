#pragma once
// GGUF reader (versions 2 and 3). The whole file is mapped; metadata and tensor infos
// are parsed and validated up front with overflow-safe arithmetic, so nothing read
// later can point outside the mapping. Every error is one line naming the file and
// the key, tensor or byte offset at fault.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gguf/gguf_value.h"
#include "gguf/mapped_file.h"
#include "quant/tensor_type.h"

namespace edgelm {

inline constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as little-endian u32
inline constexpr uint32_t kGgufDefaultAlignment = 32;
inline constexpr uint32_t kGgufMaxDims = 4;
inline constexpr size_t kGgufMaxTensorName = 63;  // ggml's GGML_MAX_NAME (64) minus the NUL
inline constexpr int kGgufMaxArrayNesting = 8;

struct KeyValue {
  std::string_view key;
  Value value;
  uint64_t offset;  // byte offset of the key in the file, for messages
};

struct TensorInfo {
  std::string_view name;
  uint32_t n_dims = 0;
  std::array<int64_t, kGgufMaxDims> ne{1, 1, 1, 1};  // ggml order: ne[0] is the row length
  TensorType type = TensorType::F32;
  uint64_t offset = 0;       // relative to the start of the data section
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  const uint8_t* data = nullptr;  // inside the mapping, n_bytes long
  uint64_t info_offset = 0;       // byte offset of this tensor's info record, for messages

  int64_t row_length() const { return ne[0]; }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
  uint64_t row_bytes() const { return n_rows() ? n_bytes / static_cast<uint64_t>(n_rows()) : 0; }
  std::string shape_string() const;  // "[1536, 262144]"
};

class GgufFile {
 public:
  // Maps and parses a file. Throws edgelm::Error.
  static GgufFile open(const std::string& path);
  // Parses a buffer the caller keeps alive (tests, fuzzing). `name` labels messages.
  static GgufFile parse(const uint8_t* data, size_t size, std::string name);

  const std::string& name() const { return name_; }
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return size_; }
  const std::vector<KeyValue>& metadata() const { return kvs_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }

  // --- metadata lookups ----------------------------------------------------------
  const Value* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // general.architecture, or "" when absent.
  std::string_view architecture() const;

  // Typed getters throw when the key is missing or has an incompatible type or range;
  // the *_or variants return the fallback when the key is missing (but still throw on
  // a wrong type). Integer getters accept any integer type that fits.
  uint32_t get_u32(std::string_view key) const;
  uint32_t get_u32_or(std::string_view key, uint32_t fallback) const;
  uint64_t get_u64(std::string_view key) const;
  float get_f32(std::string_view key) const;
  float get_f32_or(std::string_view key, float fallback) const;
  bool get_bool(std::string_view key) const;
  bool get_bool_or(std::string_view key, bool fallback) const;
  std::string_view get_string(std::string_view key) const;
  std::string_view get_string_or(std::string_view key, std::string_view fallback) const;
  // Arrays.
  const std::vector<std::string_view>& get_string_array(std::string_view key) const;
  std::vector<int64_t> get_int_array(std::string_view key) const;
  std::vector<float> get_f32_array(std::string_view key) const;
  std::vector<bool> get_bool_array(std::string_view key) const;
  // A hyper-parameter stored either as one scalar (broadcast to every layer) or as an
  // array with exactly `n_layers` entries; both forms occur in Gemma 4 files.
  std::vector<uint32_t> get_u32_per_layer(std::string_view key, uint32_t n_layers) const;
  std::optional<std::vector<uint32_t>> get_u32_per_layer_opt(std::string_view key, uint32_t n_layers) const;

  // --- tensors -------------------------------------------------------------------
  const TensorInfo* find_tensor(std::string_view name) const;
  // Throws "<file>: missing tensor 'name'" when absent.
  const TensorInfo& tensor(std::string_view name) const;
  uint64_t total_tensor_bytes() const;

 private:
  GgufFile() = default;
  void parse_all();
  const Value& require(std::string_view key) const;

  std::shared_ptr<MappedFile> mapping_;  // null when parsing a caller's buffer
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  std::string name_;
  uint32_t version_ = 0;
  uint32_t alignment_ = kGgufDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<KeyValue> kvs_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string_view, size_t> kv_index_;
  std::unordered_map<std::string_view, size_t> tensor_index_;
};

}  // namespace edgelm
