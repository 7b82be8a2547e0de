#include "kernels/packed_weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

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

}  // namespace

bool packable(TensorType type, CpuLevel level) {
  if (level == CpuLevel::kScalar) return false;
  return kernel_table(level).packed_rows_kernel(type) != nullptr;
}

uint64_t packed_bytes(int64_t rows, int64_t cols, int tile_rows) {
  const int64_t tiles = (rows + tile_rows - 1) / tile_rows;
  return static_cast<uint64_t>(tiles * tile_rows) * static_cast<uint64_t>(cols / kBlockElems * kBlockBytes);
}

void pack_nibble_blocks(const uint8_t* src, uint64_t row_bytes, int64_t rows, int64_t cols, int tile_rows,
                        uint8_t* dst) {
  const int64_t nb = cols / kBlockElems, T = tile_rows;
  std::memset(dst, 0, packed_bytes(rows, cols, tile_rows));
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
  const int tile = kernel_table(level).tile_rows;
  auto packed = std::make_shared<PackedMatrix>();
  packed->level = level;
  packed->tile_rows = tile;
  packed->size = packed_bytes(w.rows, w.cols, tile);
  packed->bytes.reset(new uint8_t[packed->size]);
  pack_nibble_blocks(w.data, w.row_bytes, w.rows, w.cols, tile, packed->bytes.get());
  if (release_file_pages) release_pages(w.data, w.row_bytes * static_cast<uint64_t>(w.rows));
  w.packed = std::move(packed);
}

}  // namespace edgelm
