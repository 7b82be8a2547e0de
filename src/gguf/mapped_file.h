#pragma once
// A read-only memory mapping of a whole file. Weights stay in the page cache and are
// paged in on demand; nothing is copied.
#include <cstddef>
#include <cstdint>
#include <string>

namespace edgelm {

class MappedFile {
 public:
  // Maps `path` read-only; throws edgelm::Error naming the file on failure.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  void release();
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace edgelm
