#include "runtime/prefetch.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

namespace edgelm {

bool is_row_streamed_tensor(std::string_view name) { return name == "per_layer_token_embd.weight"; }

uint64_t prefetch_bytes(const GgufFile& file) {
  uint64_t total = 0;
  for (const TensorInfo& t : file.tensors()) {
    if (!is_row_streamed_tensor(t.name)) total += t.n_bytes;
  }
  return total;
}

void prefetch_weights(const GgufFile& file, const std::function<void(uint64_t, uint64_t)>& progress) {
  const uint64_t total = prefetch_bytes(file);
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  constexpr uint64_t kReportEvery = 16u << 20;
  uint64_t done = 0, next_report = kReportEvery;
  volatile uint8_t sink = 0;
  for (const TensorInfo& t : file.tensors()) {
    if (is_row_streamed_tensor(t.name) || t.n_bytes == 0) continue;
    // Ask the kernel to read ahead, then fault the pages in order.
    const auto begin = reinterpret_cast<uintptr_t>(t.data);
    const uintptr_t aligned = begin & ~static_cast<uintptr_t>(page - 1);
    madvise(reinterpret_cast<void*>(aligned), t.n_bytes + (begin - aligned), MADV_WILLNEED);
    for (uint64_t off = 0; off < t.n_bytes; off += page) {
      sink = static_cast<uint8_t>(sink + t.data[off]);
      const uint64_t now = done + std::min(off + page, t.n_bytes);
      if (progress && now >= next_report) {
        progress(now, total);
        next_report = now + kReportEvery;
      }
    }
    done += t.n_bytes;
  }
  if (progress) progress(total, total);
}

}  // namespace edgelm
