#include "kernels/vec_dot.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "quant/blocks.h"
#include "quant/dequantize.h"
#include "util/half.h"

namespace edgelm {
namespace {

template <typename Block>
Block load_block(const uint8_t* p, int64_t index) {
  Block b;
  std::memcpy(&b, p + index * static_cast<int64_t>(sizeof(Block)), sizeof b);
  return b;
}

// ---- 32-element formats x q8_0 ----------------------------------------------------

// Signed codes of one 32-block: value = d * code.
void codes(const block_q4_0& b, int8_t* c) {
  uint8_t q[kQK];
  unpack_nibbles<16>(b.qs, q);
  for (int i = 0; i < kQK; ++i) c[i] = static_cast<int8_t>(q[i] - 8);
}
void codes(const block_q5_0& b, int8_t* c) {
  uint8_t q[kQK];
  unpack_q5_32(b.qs, b.qh, q);
  for (int i = 0; i < kQK; ++i) c[i] = static_cast<int8_t>(q[i] - 16);
}
void codes(const block_q8_0& b, int8_t* c) { std::memcpy(c, b.qs, kQK); }
void codes(const block_iq4_nl& b, int8_t* c) {
  uint8_t q[kQK];
  unpack_nibbles<16>(b.qs, q);
  for (int i = 0; i < kQK; ++i) c[i] = kIQ4NLValues[q[i]];
}

// Per-block scales are combined as f32(d_w) * f32(d_a) and folded in with a fused
// multiply-add, in one of the two accumulation orders llama.cpp's x86 kernels use, so
// results agree with it to the last bit (a 1-ulp difference here can flip an int8
// activation rounding downstream and move probabilities by 1e-3):
//  - kSequential: acc = fma(sumi, scale, acc) block after block (repacked q4_0/iq4_nl);
//  - kEightLanes: lane j accumulates elements 4j..4j+3 of every block, the lanes are
//    summed pairwise at the end (ggml_vec_dot_q8_0_q8_0 and llamafile's tinyBLAS).
enum class Order { kSequential, kEightLanes };

template <typename Block, Order kOrder>
float dot_x_q8_0(const uint8_t* w, const block_q8_0* y, int64_t n) {
  float acc = 0.0f;
  float lanes[8] = {};
  for (int64_t b = 0; b < n / kQK; ++b) {
    const Block x = load_block<Block>(w, b);
    block_q8_0 a;
    std::memcpy(&a, &y[b], sizeof a);
    int8_t c[kQK];
    codes(x, c);
    const float scale = f16_to_f32(x.d) * f16_to_f32(a.d);
    if constexpr (kOrder == Order::kSequential) {
      int32_t sumi = 0;
      for (int i = 0; i < kQK; ++i) sumi += c[i] * a.qs[i];
      acc = std::fma(static_cast<float>(sumi), scale, acc);
    } else {
      for (int j = 0; j < 8; ++j) {
        int32_t s4 = 0;
        for (int i = 4 * j; i < 4 * j + 4; ++i) s4 += c[i] * a.qs[i];
        lanes[j] = std::fma(scale, static_cast<float>(s4), lanes[j]);
      }
    }
  }
  if constexpr (kOrder == Order::kEightLanes) {
    acc = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
  }
  return acc;
}

// ---- 256-element formats x q8_K ---------------------------------------------------

// Integer dot of 32 codes (uint8 or int8) with 32 activations.
template <typename Code>
int32_t idot32(const Code* q, const int8_t* a) {
  int32_t s = 0;
  for (int i = 0; i < 32; ++i) s += static_cast<int32_t>(q[i]) * a[i];
  return s;
}

// Walks the blocks of a weight row and its q8_K activations, summing per_block(w, a)
// in f32 block after block.
template <typename Block, typename PerBlock>
float sum_over_q8_K_blocks(const uint8_t* w, const block_q8_K* y, int64_t n, PerBlock per_block) {
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const Block x = load_block<Block>(w, b);
    block_q8_K a;
    std::memcpy(&a, &y[b], sizeof a);
    sum += per_block(x, a);
  }
  return sum;
}

// q4_K and q5_K: value = d*scale[j]*q - dmin*min[j] per 32-element sub-block j.
template <typename Block>
float dot_k4_q8_K(const uint8_t* w, const block_q8_K* y, int64_t n) {
  return sum_over_q8_K_blocks<Block>(w, y, n, [](const Block& x, const block_q8_K& a) {
    uint8_t q[kQK_K];
    if constexpr (std::is_same_v<Block, block_q4_K>) unpack_qs_K(x.qs, q);
    else unpack_q5_K(x, q);
    int32_t sumi = 0, summ = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, mn;
      unpack_scale_min_k4(j, x.scales, &sc, &mn);
      sumi += sc * idot32(q + 32 * j, a.qs + 32 * j);
      summ += mn * (a.bsums[2 * j] + a.bsums[2 * j + 1]);
    }
    return f16_to_f32(x.d) * a.d * static_cast<float>(sumi) - f16_to_f32(x.dmin) * a.d * static_cast<float>(summ);
  });
}

// q6_K: value = d * scale[s] * (q - 32) per 16-element sub-block s.
float dot_q6_K_q8_K(const uint8_t* w, const block_q8_K* y, int64_t n) {
  return sum_over_q8_K_blocks<block_q6_K>(w, y, n, [](const block_q6_K& x, const block_q8_K& a) {
    uint8_t q[kQK_K];
    unpack_q6_K(x, q);
    int32_t sumi = 0;
    for (int s = 0; s < 16; ++s) {
      int32_t si = 0;
      for (int i = 0; i < 16; ++i) si += (q[16 * s + i] - 32) * a.qs[16 * s + i];
      sumi += x.scales[s] * si;
    }
    return f16_to_f32(x.d) * a.d * static_cast<float>(sumi);
  });
}

// iq4_xs: value = d * (scale[j] - 32) * kIQ4NLValues[q] per 32-element sub-block j.
float dot_iq4_xs_q8_K(const uint8_t* w, const block_q8_K* y, int64_t n) {
  return sum_over_q8_K_blocks<block_iq4_xs>(w, y, n, [](const block_iq4_xs& x, const block_q8_K& a) {
    int32_t sumi = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t q[kQK];
      unpack_nibbles<16>(x.qs + 16 * j, q);
      int8_t c[kQK];
      for (int i = 0; i < kQK; ++i) c[i] = kIQ4NLValues[q[i]];
      sumi += iq4_xs_scale(x, j) * idot32(c, a.qs + 32 * j);  // scale already minus 32
    }
    return f16_to_f32(x.d) * a.d * static_cast<float>(sumi);
  });
}

// ---- float formats ---------------------------------------------------------------

// f16 -> f32 through the shared 256 KiB table (exact; far cheaper than decoding the
// bits) and bf16 -> f32 by a shift.
struct F16Lookup {
  const float* table = f16_to_f32_table();
  float operator()(uint16_t h) const { return table[h]; }
};
struct Bf16Shift {
  float operator()(uint16_t h) const {
    const uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
};

template <typename Convert>
float dot_half(const uint8_t* w, const uint16_t* a, int64_t n) {
  const Convert convert;
  // Eight partial sums: the compiler can keep them in one SIMD register.
  float acc[8] = {};
  int64_t i = 0;
  uint16_t wk[8];
  for (; i + 8 <= n; i += 8) {
    std::memcpy(wk, w + 2 * i, sizeof wk);
    for (int k = 0; k < 8; ++k) acc[k] += convert(wk[k]) * convert(a[i + k]);
  }
  float sum = 0.0f;
  for (; i < n; ++i) {
    std::memcpy(wk, w + 2 * i, 2);
    sum += convert(wk[0]) * convert(a[i]);
  }
  for (float v : acc) sum += v;
  return sum;
}

float dot_f32(const float* w, const float* a, int64_t n) {
  float acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += w[i + k] * a[i + k];
  }
  float sum = 0.0f;
  for (; i < n; ++i) sum += w[i] * a[i];
  for (float v : acc) sum += v;
  return sum;
}

// Any dequantizable type against f32 activations, one block at a time.
float dot_dequantized(TensorType type, const uint8_t* w, const float* a, int64_t n) {
  const TypeTraits& t = type_traits(type);
  float tmp[kQK_K];
  float sum = 0.0f;
  for (int64_t i = 0; i < n; i += t.block_size) {
    dequantize_row(type, w + i / t.block_size * t.type_size, tmp, t.block_size);
    sum += dot_f32(tmp, a + i, t.block_size);
  }
  return sum;
}

}  // namespace

float vec_dot(TensorType type, const uint8_t* w, const void* act, int64_t n) {
  const auto* q8 = static_cast<const block_q8_0*>(act);
  const auto* q8k = static_cast<const block_q8_K*>(act);
  switch (type) {
    case TensorType::F32: {
      float tmp_w[256];
      // Weights may be unaligned in the mapping: copy through a small buffer.
      float sum = 0.0f;
      const auto* a = static_cast<const float*>(act);
      for (int64_t i = 0; i < n; i += 256) {
        const int64_t m = std::min<int64_t>(256, n - i);
        std::memcpy(tmp_w, w + 4 * i, static_cast<size_t>(m) * 4);
        sum += dot_f32(tmp_w, a + i, m);
      }
      return sum;
    }
    case TensorType::F16: return dot_half<F16Lookup>(w, static_cast<const uint16_t*>(act), n);
    case TensorType::BF16: return dot_half<Bf16Shift>(w, static_cast<const uint16_t*>(act), n);
    case TensorType::Q4_0: return dot_x_q8_0<block_q4_0, Order::kSequential>(w, q8, n);
    case TensorType::Q5_0: return dot_x_q8_0<block_q5_0, Order::kEightLanes>(w, q8, n);
    case TensorType::Q8_0: return dot_x_q8_0<block_q8_0, Order::kEightLanes>(w, q8, n);
    case TensorType::IQ4_NL: return dot_x_q8_0<block_iq4_nl, Order::kSequential>(w, q8, n);
    case TensorType::Q4_K: return dot_k4_q8_K<block_q4_K>(w, q8k, n);
    case TensorType::Q5_K: return dot_k4_q8_K<block_q5_K>(w, q8k, n);
    case TensorType::Q6_K: return dot_q6_K_q8_K(w, q8k, n);
    case TensorType::IQ4_XS: return dot_iq4_xs_q8_K(w, q8k, n);
    default: return dot_dequantized(type, w, static_cast<const float*>(act), n);
  }
}

}  // namespace edgelm
