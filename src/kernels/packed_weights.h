#pragma once
// Weight matrices repacked at load time into the layout the SIMD kernels read fastest.
//
// Why: the file's layout keeps each row's blocks together; a SIMD kernel works on a
// tile of 8 or 16 rows at once, and for every 32-element block it gathers the rows'
// scales and transposes their codes so one register lane holds one row (see
// kernels/x86/quant_kernels_x86.inc). A packed copy stores each tile's blocks already
// in that order — scales side by side, codes transposed — so decoding a block is a few
// loads and masks, and a tile is one linear stream through memory.
//
// Memory: the copy is resident (anonymous memory) where the mapping's pages were only
// cached; packing releases the mapping's pages of that matrix (madvise), so resident
// memory stays about the same. Packed copies are made for the CPU level active at load
// time; matmul() falls back to the mapping under any other level (tests switch levels).
//
// Layouts, per tile of T rows (a last partial tile is padded with zero rows):
//  - q4_0, iq4_nl (18-byte blocks: f16 scale + 16 bytes of nibbles), per block: the T
//    f16 scales, then 4 vectors of 4·T bytes, vector v holding bytes qs[4v..4v+3] of
//    row r at byte 4r;
//  - q4_K, q5_K, q6_K: by words, 32-bit word w of every row side by side (row r at
//    byte 4r), word after word; blocks are padded to whole words (q6_K: 210 -> 212
//    bytes) so every field the kernels read starts on a word.
#include <cstdint>
#include <memory>

#include "kernels/cpu_features.h"
#include "quant/tensor_type.h"

namespace edgelm {

struct WeightMatrix;

struct PackedMatrix {
  CpuLevel level = CpuLevel::kScalar;  // the kernels it is laid out for
  int tile_rows = 0;
  uint64_t row_bytes = 0;  // of one packed row (blocks padded to whole words where packed by words)
  uint64_t size = 0;
  struct Free {
    uint64_t size;
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t[], Free> bytes{nullptr, Free{0}};
};

// Whether a packed layout exists for `type` at `level`.
bool packable(TensorType type, CpuLevel level);

// Packs `w` for the active CPU level if a packed layout exists for its type (sets
// w.packed; otherwise leaves w as it is). With `release_file_pages`, w.data must lie in
// a read-only file mapping: its pages are then dropped from this process (not for a
// tensor also read row by row, e.g. a tied embedding table; never for heap memory,
// which MADV_DONTNEED would zero). Disabled by EDGELM_PACK=0 (to measure the gain).
void pack_weight_matrix(WeightMatrix& w, bool release_file_pages);

// The packings themselves: `rows` rows of `row_bytes` at `src` into `dst`
// (packed_bytes() long, zero-filled: padding is not written) for tiles of `tile_rows`.
uint64_t packed_bytes(uint64_t row_bytes, int64_t rows, int tile_rows);
void pack_nibble_blocks(const uint8_t* src, uint64_t row_bytes, int64_t rows, int64_t cols, int tile_rows,
                        uint8_t* dst);
uint64_t padded_row_bytes(uint64_t row_bytes, uint64_t block_bytes);
void pack_row_words(const uint8_t* src, uint64_t row_bytes, uint64_t block_bytes, int64_t rows, int tile_rows,
                    uint8_t* dst);

}  // namespace edgelm
