#pragma once
// A zero-filled buffer whose address space is reserved up front but whose memory is
// committed by the OS page by page, when first written. A KV cache sized for 128K
// positions costs resident memory only for the positions it has actually stored, and
// growing it never copies (a std::vector would double, copy, and briefly hold both).
#include <cstdint>

namespace edgelm {

class LazyBuffer {
 public:
  LazyBuffer() = default;
  // Reserves `capacity` bytes (0: an empty buffer). Throws edgelm::Error when the
  // address space cannot be reserved.
  explicit LazyBuffer(uint64_t capacity);
  ~LazyBuffer();
  LazyBuffer(LazyBuffer&& other) noexcept;
  LazyBuffer& operator=(LazyBuffer&& other) noexcept;
  LazyBuffer(const LazyBuffer&) = delete;
  LazyBuffer& operator=(const LazyBuffer&) = delete;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  uint64_t capacity() const { return capacity_; }

  // Gives the pages wholly inside bytes [begin, end) back to the OS; they read as
  // zeros again and cost nothing until written.
  void release(uint64_t begin, uint64_t end);

  // The system's page size (the granularity of commitment).
  static uint64_t page_size();

 private:
  void reset();
  uint8_t* data_ = nullptr;
  uint64_t capacity_ = 0;
};

}  // namespace edgelm
