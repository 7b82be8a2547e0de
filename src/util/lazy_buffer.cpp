#include "util/lazy_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "util/error.h"

namespace edgelm {

LazyBuffer::LazyBuffer(uint64_t capacity) : capacity_(capacity) {
  if (capacity == 0) return;
  // MAP_NORESERVE: no swap/commit charge for pages never touched.
  void* p = ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    capacity_ = 0;
    fail("cannot reserve {} bytes of address space for the KV cache: {}", capacity, std::strerror(errno));
  }
  data_ = static_cast<uint8_t*>(p);
}

LazyBuffer::~LazyBuffer() { reset(); }

LazyBuffer::LazyBuffer(LazyBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), capacity_(std::exchange(other.capacity_, 0)) {}

LazyBuffer& LazyBuffer::operator=(LazyBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

void LazyBuffer::reset() {
  if (data_ != nullptr) ::munmap(data_, capacity_);
  data_ = nullptr;
  capacity_ = 0;
}

void LazyBuffer::release(uint64_t begin, uint64_t end) {
  const uint64_t page = page_size();
  const uint64_t first = (begin + page - 1) / page * page;
  const uint64_t last = std::min(end, capacity_) / page * page;
  if (data_ == nullptr || first >= last) return;
  // Private anonymous pages: MADV_DONTNEED frees them and later reads see zeros.
  ::madvise(data_ + first, last - first, MADV_DONTNEED);
}

uint64_t LazyBuffer::page_size() {
  static const uint64_t size = [] {
    const long s = ::sysconf(_SC_PAGESIZE);
    return s > 0 ? static_cast<uint64_t>(s) : uint64_t{4096};
  }();
  return size;
}

}  // namespace edgelm
