#pragma once
// Block layouts, byte-identical to ggml's (ggml-common.h), plus the bit-packing helpers
// that quantize.cpp and dequantize.cpp share so each layout is spelled out exactly once.
//
// Scales stored as `uint16_t` are IEEE half bit patterns (see util/half.h). Every struct
// carries its TensorType and element count as static members (which take no space), so
// generic code can walk a row of blocks. Blocks are copied in and out with memcpy, never
// dereferenced in place: GGUF data need not be aligned for the struct.
#include <cstdint>

#include "quant/tensor_type.h"

namespace edgelm {

inline constexpr int kQK = 32;    // elements per block of the simple formats
inline constexpr int kQK_K = 256; // elements per super-block of the K-quants and IQ4_XS

struct block_q4_0 {
  static constexpr TensorType kType = TensorType::Q4_0;
  static constexpr int kElems = kQK;
  uint16_t d;
  uint8_t qs[kQK / 2];  // element j in the low nibble of qs[j], j+16 in the high nibble
};

struct block_q4_1 {
  static constexpr TensorType kType = TensorType::Q4_1;
  static constexpr int kElems = kQK;
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQK / 2];
};

struct block_q5_0 {
  static constexpr TensorType kType = TensorType::Q5_0;
  static constexpr int kElems = kQK;
  uint16_t d;
  uint8_t qh[4];  // little-endian 32-bit word; bit i is the fifth bit of element i
  uint8_t qs[kQK / 2];
};

struct block_q5_1 {
  static constexpr TensorType kType = TensorType::Q5_1;
  static constexpr int kElems = kQK;
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};

struct block_q8_0 {
  static constexpr TensorType kType = TensorType::Q8_0;
  static constexpr int kElems = kQK;
  uint16_t d;
  int8_t qs[kQK];
};

// 8 sub-blocks of 32; value = d * scale[s] * q - dmin * min[s], q in 0..15.
struct block_q4_K {
  static constexpr TensorType kType = TensorType::Q4_K;
  static constexpr int kElems = kQK_K;
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];  // 6-bit scales and mins, see pack_scale_min_k4
  uint8_t qs[kQK_K / 2];  // per 64 elements: first 32 in low nibbles, next 32 in high
};

// As q4_K with a fifth bit per element: qh[i % 32] bit (i / 32) for element i.
struct block_q5_K {
  static constexpr TensorType kType = TensorType::Q5_K;
  static constexpr int kElems = kQK_K;
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};

// 16 sub-blocks of 16; value = d * scales[s] * (q - 32), q in 0..63. Within each half
// (128 elements) element 32k + l has its low nibble in ql (see pack_nibbles<64>) and its
// top two bits in qh[l] bits 2k..2k+1.
struct block_q6_K {
  static constexpr TensorType kType = TensorType::Q6_K;
  static constexpr int kElems = kQK_K;
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};

// Intermediate format for dot products: a float scale and per-16 sums.
struct block_q8_K {
  static constexpr TensorType kType = TensorType::Q8_K;
  static constexpr int kElems = kQK_K;
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};

// Non-linear 4-bit: value = d * kIQ4NLValues[q].
struct block_iq4_nl {
  static constexpr TensorType kType = TensorType::IQ4_NL;
  static constexpr int kElems = kQK;
  uint16_t d;
  uint8_t qs[kQK / 2];
};

// IQ4_NL values with a 6-bit scale (stored minus 32) per sub-block of 32: the low four
// bits in scales_l (two per byte, low nibble first), the top two in scales_h.
struct block_iq4_xs {
  static constexpr TensorType kType = TensorType::IQ4_XS;
  static constexpr int kElems = kQK_K;
  uint16_t d;
  uint16_t scales_h;
  uint8_t scales_l[kQK_K / 64];
  uint8_t qs[kQK_K / 2];
};

// Sizes must match ggml's (and the type_size column of the table in tensor_type.cpp;
// test_quant.cpp checks the two agree).
static_assert(sizeof(block_q4_0) == 18);
static_assert(sizeof(block_q4_1) == 20);
static_assert(sizeof(block_q5_0) == 22);
static_assert(sizeof(block_q5_1) == 24);
static_assert(sizeof(block_q8_0) == 34);
static_assert(sizeof(block_q4_K) == 144);
static_assert(sizeof(block_q5_K) == 176);
static_assert(sizeof(block_q6_K) == 210);
static_assert(sizeof(block_q8_K) == 292);
static_assert(sizeof(block_iq4_nl) == 18);
static_assert(sizeof(block_iq4_xs) == 136);

// The 16 levels of IQ4_NL / IQ4_XS, ascending.
inline constexpr int8_t kIQ4NLValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

// ---- Bit-packing helpers -------------------------------------------------------------

// Nibble layout used by every 4-bit field: byte l holds element l in its low nibble and
// element l + kHalf in its high nibble (kHalf = 16 for 32-element blocks, 32 for the
// K-quants' 64-element groups, 64 for q6_K's ql). Bits above the low four are dropped.
template <int kHalf>
inline void pack_nibbles(const uint8_t* q, uint8_t* out) {
  for (int l = 0; l < kHalf; ++l) {
    out[l] = static_cast<uint8_t>((q[l] & 0x0f) | (q[l + kHalf] & 0x0f) << 4);
  }
}

template <int kHalf>
inline void unpack_nibbles(const uint8_t* in, uint8_t* q) {
  for (int l = 0; l < kHalf; ++l) {
    q[l] = in[l] & 0x0f;
    q[l + kHalf] = in[l] >> 4;
  }
}

// The q4_K/q5_K scales field: eight 6-bit scales and eight 6-bit mins in 12 bytes.
// Pairs 0..3 sit in the low six bits of bytes 0..3 (scale) and 4..7 (min); pairs 4..7
// keep their low four bits in bytes 8..11 (scale low nibble, min high nibble) and their
// top two bits in the top two bits of bytes 0..3 (scale) and 4..7 (min).
inline void unpack_scale_min_k4(int j, const uint8_t* s, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = s[j] & 63;
    *min = s[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((s[j + 4] & 0x0f) | (s[j - 4] >> 6) << 4);
    *min = static_cast<uint8_t>((s[j + 4] >> 4) | (s[j] >> 6) << 4);
  }
}

// Inverse of unpack_scale_min_k4; values must be < 64.
inline void pack_scale_min_k4(const uint8_t scale[8], const uint8_t min[8], uint8_t s[12]) {
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<uint8_t>(scale[j] | (scale[j + 4] >> 4) << 6);
    s[j + 4] = static_cast<uint8_t>(min[j] | (min[j + 4] >> 4) << 6);
    s[j + 8] = static_cast<uint8_t>((scale[j + 4] & 0x0f) | (min[j + 4] & 0x0f) << 4);
  }
}

// q6_K's 6-bit values (0..63) for all 256 elements <-> ql/qh.
inline void pack_q6_K(const uint8_t q[kQK_K], block_q6_K& b) {
  for (int half = 0; half < 2; ++half) {
    const uint8_t* qq = q + 128 * half;
    pack_nibbles<64>(qq, b.ql + 64 * half);
    uint8_t* qh = b.qh + 32 * half;
    for (int l = 0; l < 32; ++l) {
      qh[l] = static_cast<uint8_t>((qq[l] >> 4) | (qq[l + 32] >> 4) << 2 | (qq[l + 64] >> 4) << 4 |
                                   (qq[l + 96] >> 4) << 6);
    }
  }
}

inline void unpack_q6_K(const block_q6_K& b, uint8_t q[kQK_K]) {
  for (int half = 0; half < 2; ++half) {
    uint8_t* qq = q + 128 * half;
    unpack_nibbles<64>(b.ql + 64 * half, qq);
    const uint8_t* qh = b.qh + 32 * half;
    for (int l = 0; l < 32; ++l) {
      for (int k = 0; k < 4; ++k) qq[32 * k + l] |= static_cast<uint8_t>(((qh[l] >> (2 * k)) & 3) << 4);
    }
  }
}

// q4_K's 4-bit values (0..15) <-> qs: per group of 64, the first 32 in low nibbles.
inline void pack_qs_K(const uint8_t q[kQK_K], uint8_t qs[kQK_K / 2]) {
  for (int g = 0; g < 4; ++g) pack_nibbles<32>(q + 64 * g, qs + 32 * g);
}

inline void unpack_qs_K(const uint8_t qs[kQK_K / 2], uint8_t q[kQK_K]) {
  for (int g = 0; g < 4; ++g) unpack_nibbles<32>(qs + 32 * g, q + 64 * g);
}

// q5_K's 5-bit values (0..31): the low four as in q4_K, the fifth bit of element i in
// qh[i % 32] bit (i / 32).
inline void pack_q5_K(const uint8_t q[kQK_K], block_q5_K& b) {
  pack_qs_K(q, b.qs);
  for (int l = 0; l < 32; ++l) {
    uint8_t bits = 0;
    for (int k = 0; k < 8; ++k) bits |= static_cast<uint8_t>(((q[32 * k + l] >> 4) & 1) << k);
    b.qh[l] = bits;
  }
}

inline void unpack_q5_K(const block_q5_K& b, uint8_t q[kQK_K]) {
  unpack_qs_K(b.qs, q);
  for (int i = 0; i < kQK_K; ++i) q[i] |= static_cast<uint8_t>(((b.qh[i % 32] >> (i / 32)) & 1) << 4);
}

// q5_0/q5_1's 5-bit values (0..31): low four bits as in q4_0, fifth bit of element i in
// bit i of the little-endian word qh.
inline void pack_q5_32(const uint8_t q[kQK], uint8_t qs[kQK / 2], uint8_t qh[4]) {
  pack_nibbles<16>(q, qs);
  for (int byte = 0; byte < 4; ++byte) {
    uint8_t bits = 0;
    for (int k = 0; k < 8; ++k) bits |= static_cast<uint8_t>(((q[8 * byte + k] >> 4) & 1) << k);
    qh[byte] = bits;
  }
}

inline void unpack_q5_32(const uint8_t qs[kQK / 2], const uint8_t qh[4], uint8_t q[kQK]) {
  unpack_nibbles<16>(qs, q);
  for (int i = 0; i < kQK; ++i) q[i] |= static_cast<uint8_t>(((qh[i / 8] >> (i % 8)) & 1) << 4);
}

// IQ4_XS: the 6-bit (biased) scale of sub-block ib.
inline int iq4_xs_scale(const block_iq4_xs& b, int ib) {
  const int low = (b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0x0f;
  const int high = (b.scales_h >> (2 * ib)) & 3;
  return (low | high << 4) - 32;
}

}  // namespace edgelm
