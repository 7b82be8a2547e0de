#include "kernels/packed_weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <new>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "kernels/matmul.h"
#include "kernels/quant_kernels.h"

namespace edgelm {
namespace {

constexpr int64_t kBlockBytes = 18;  // f16 scale + 16 bytes of 4-bit codes
constexpr int64_t kBlockElems = 32;

bool packing_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("EDGELM_PACK");
    return v == nullptr || std::string_view(v) != "0";
  }();
  return enabled;
}

// Drops this process's pages of [p, p + n) (whole pages inside the range only); the
// file's pages stay in the page cache and fault back in if the range is read again.
void release_pages(const uint8_t* p, uint64_t n) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const auto end = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

// Anonymous memory in 2 MiB transparent huge pages where the kernel allows (madvise
// mode): a gigabyte of packed weights then costs hundreds instead of ~300k page faults
// to fill, and decode's linear streams through it miss the TLB less.
uint8_t* allocate_packed(uint64_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  madvise(p, size, MADV_HUGEPAGE);
#endif
  return static_cast<uint8_t*>(p);
}

}  // namespace

void PackedMatrix::Free::operator()(uint8_t* p) const {
  if (p != nullptr) munmap(p, size);
}

bool packable(TensorType type, CpuLevel level) {
  if (level == CpuLevel::kScalar) return false;
  return kernel_table(level).packed_rows_kernel(type) != nullptr;
}

uint64_t packed_bytes(uint64_t row_bytes, int64_t rows, int tile_rows) {
  const int64_t tiles = (rows + tile_rows - 1) / tile_rows;
  return static_cast<uint64_t>(tiles * tile_rows) * row_bytes;
}

uint64_t padded_row_bytes(uint64_t row_bytes, uint64_t block_bytes) {
  return row_bytes / block_bytes * ((block_bytes + 3) & ~uint64_t{3});
}

void pack_row_words(const uint8_t* src, uint64_t row_bytes, uint64_t block_bytes, int64_t rows, int tile_rows,
                    uint8_t* dst) {
  const uint64_t padded_block = (block_bytes + 3) & ~uint64_t{3};
  const uint64_t out_row = padded_row_bytes(row_bytes, block_bytes);
  const int64_t T = tile_rows, n_words = static_cast<int64_t>(out_row / 4);
  // dst is zero-filled (fresh anonymous memory): padding rows and bytes stay zero.
  std::vector<uint8_t> padded(out_row);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* row = src + static_cast<uint64_t>(r) * row_bytes;
    for (uint64_t b = 0; b < row_bytes / block_bytes; ++b) {
      std::memcpy(padded.data() + b * padded_block, row + b * block_bytes, block_bytes);
    }
    uint8_t* out = dst + static_cast<uint64_t>(r / T) * T * out_row + 4 * (r % T);
    for (int64_t w = 0; w < n_words; ++w) std::memcpy(out + w * 4 * T, padded.data() + 4 * w, 4);
  }
}

void pack_nibble_blocks(const uint8_t* src, uint64_t row_bytes, int64_t rows, int64_t cols, int tile_rows,
                        uint8_t* dst) {
  const int64_t nb = cols / kBlockElems, T = tile_rows;
  // dst is zero-filled (fresh anonymous memory): padding rows stay zero.
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t tile = r / T, lane = r % T;
    const uint8_t* row = src + static_cast<uint64_t>(r) * row_bytes;
    uint8_t* tile_base = dst + static_cast<uint64_t>(tile * nb * T * kBlockBytes);
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t* blk = row + b * kBlockBytes;
      uint8_t* out = tile_base + b * T * kBlockBytes;
      std::memcpy(out + 2 * lane, blk, 2);  // the scale
      for (int v = 0; v < 4; ++v) std::memcpy(out + 2 * T + v * 4 * T + 4 * lane, blk + 2 + 4 * v, 4);
    }
  }
}

void pack_weight_matrix(WeightMatrix& w, bool release_file_pages) {
  if (!packing_enabled() || !w.present() || w.packed) return;
  const CpuLevel level = cpu_level();
  if (!packable(w.type, level) || w.cols % kBlockElems != 0) return;
  const bool by_words = w.type == TensorType::Q4_K || w.type == TensorType::Q5_K || w.type == TensorType::Q6_K;
  const uint64_t block_bytes = type_traits(w.type).type_size;
  const int tile = kernel_table(level).tile_rows;
  auto packed = std::make_shared<PackedMatrix>();
  packed->level = level;
  packed->tile_rows = tile;
  packed->row_bytes = by_words ? padded_row_bytes(w.row_bytes, block_bytes) : w.row_bytes;
  packed->size = packed_bytes(packed->row_bytes, w.rows, tile);
  // Zero-filled, pages resident as they are written.
  packed->bytes = std::unique_ptr<uint8_t[], PackedMatrix::Free>(allocate_packed(packed->size),
                                                                 PackedMatrix::Free{packed->size});
  // In chunks of whole tiles (~4 MiB of source), each chunk's source pages released as
  // soon as it is packed: resident memory never holds a whole matrix twice.
  const int64_t chunk_rows = std::max<int64_t>(1, (int64_t{4} << 20) / static_cast<int64_t>(w.row_bytes) / tile) * tile;
  for (int64_t r0 = 0; r0 < w.rows; r0 += chunk_rows) {
    const int64_t n = std::min(chunk_rows, w.rows - r0);
    const uint8_t* src = w.data + static_cast<uint64_t>(r0) * w.row_bytes;
    uint8_t* dst = packed->bytes.get() + static_cast<uint64_t>(r0) * packed->row_bytes;
    if (by_words) pack_row_words(src, w.row_bytes, block_bytes, n, tile, dst);
    else pack_nibble_blocks(src, w.row_bytes, n, w.cols, tile, dst);
    if (release_file_pages) release_pages(src, w.row_bytes * static_cast<uint64_t>(n));
  }
  w.packed = std::move(packed);
}

}  // namespace edgelm
