#pragma once
// Streaming GGUF (v3) writer. Metadata and tensor declarations are collected first
// (they are small); then the header is written and tensor data is streamed in
// declaration order, chunk by chunk, so a 5 GB model never sits in memory. The file
// is written under a temporary name and renamed into place by finish(), so a failed
// or interrupted write never leaves a plausible-looking partial model behind.
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_value.h"
#include "quant/tensor_type.h"

namespace edgelm {

class GgufWriter {
 public:
  explicit GgufWriter(std::string path);
  ~GgufWriter();  // removes the temporary file unless finish() succeeded
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  // --- metadata (before write_header) ---------------------------------------------
  void add_u32(std::string_view key, uint32_t v);
  void add_i32(std::string_view key, int32_t v);
  void add_u64(std::string_view key, uint64_t v);
  void add_f32(std::string_view key, float v);
  void add_bool(std::string_view key, bool v);
  void add_string(std::string_view key, std::string_view v);
  void add_u32_array(std::string_view key, std::span<const uint32_t> v);
  void add_i32_array(std::string_view key, std::span<const int32_t> v);
  void add_f32_array(std::string_view key, std::span<const float> v);
  void add_bool_array(std::string_view key, const std::vector<bool>& v);
  void add_string_array(std::string_view key, std::span<const std::string_view> v);
  // Copies a value read from another file (any type, nested arrays included).
  void add_value(std::string_view key, const Value& v);
  // Sets general.alignment (default 32).
  void set_alignment(uint32_t alignment);

  // --- tensors --------------------------------------------------------------------
  // Declares a tensor; `dims` in ggml order (dims[0] = row length).
  void add_tensor(std::string_view name, TensorType type, std::span<const int64_t> dims);
  // Writes magic, metadata and tensor infos. Call once, after all declarations.
  void write_header();
  // Appends bytes of the current tensor; tensors are filled in declaration order and
  // a tensor may be written in several chunks. Moves to the next tensor when full.
  void write_tensor_data(const void* data, size_t n);
  // Checks every tensor was filled, flushes and renames the file into place.
  void finish();

  uint64_t bytes_written() const { return written_; }

 private:
  struct PendingTensor {
    std::string name;
    TensorType type;
    std::vector<int64_t> dims;
    uint64_t n_bytes;
    uint64_t offset;
  };
  void begin_kv(std::string_view key, ValueType type);
  void put_bytes(const void* p, size_t n);
  template <typename T>
  void put(T v) { put_bytes(&v, sizeof v); }
  void put_string(std::string_view s);
  void put_value_body(const Value& v);
  void write_raw(const void* p, size_t n);
  void pad_to_alignment();

  std::string path_;
  std::string tmp_path_;
  std::FILE* out_ = nullptr;
  std::vector<uint8_t> kv_bytes_;  // serialised metadata, written by write_header
  uint64_t n_kv_ = 0;
  std::vector<std::string> keys_;
  uint32_t alignment_ = 32;
  std::vector<PendingTensor> tensors_;
  uint64_t data_size_ = 0;
  bool header_written_ = false;
  bool finished_ = false;
  size_t current_ = 0;          // tensor being filled
  uint64_t current_filled_ = 0;  // bytes of it written so far
  uint64_t written_ = 0;
};

}  // namespace edgelm
