#include "quant/dequantize.h"

#include <cstring>

#include "quant/blocks.h"
#include "util/error.h"
#include "util/half.h"

// Each dequantizer first unpacks a block's bit fields into plain integer codes (the
// layouts live in blocks.h) and then applies the format's affine map. The float
// expressions keep ggml's operand grouping (e.g. q4_K computes (d * scale) * q - dmin * min)
// so results are bit-identical to ggml's reference, not merely close.

namespace edgelm {
namespace {

void dequantize_block(const block_q4_0& b, float* y) {
  const float d = f16_to_f32(b.d);
  uint8_t q[kQK];
  unpack_nibbles<16>(b.qs, q);
  for (int i = 0; i < kQK; ++i) y[i] = static_cast<float>(q[i] - 8) * d;
}

void dequantize_block(const block_q4_1& b, float* y) {
  const float d = f16_to_f32(b.d);
  const float m = f16_to_f32(b.m);
  uint8_t q[kQK];
  unpack_nibbles<16>(b.qs, q);
  for (int i = 0; i < kQK; ++i) y[i] = static_cast<float>(q[i]) * d + m;
}

void dequantize_block(const block_q5_0& b, float* y) {
  const float d = f16_to_f32(b.d);
  uint8_t q[kQK];
  unpack_q5_32(b.qs, b.qh, q);
  for (int i = 0; i < kQK; ++i) y[i] = static_cast<float>(q[i] - 16) * d;
}

void dequantize_block(const block_q5_1& b, float* y) {
  const float d = f16_to_f32(b.d);
  const float m = f16_to_f32(b.m);
  uint8_t q[kQK];
  unpack_q5_32(b.qs, b.qh, q);
  for (int i = 0; i < kQK; ++i) y[i] = static_cast<float>(q[i]) * d + m;
}

void dequantize_block(const block_q8_0& b, float* y) {
  const float d = f16_to_f32(b.d);
  for (int i = 0; i < kQK; ++i) y[i] = static_cast<float>(b.qs[i]) * d;
}

// Shared by q4_K and q5_K once the codes are unpacked: 8 sub-blocks of 32.
void apply_scale_min_k4(uint16_t d16, uint16_t dmin16, const uint8_t scales[12], const uint8_t* q, float* y) {
  const float d = f16_to_f32(d16);
  const float dmin = f16_to_f32(dmin16);
  for (int s = 0; s < 8; ++s) {
    uint8_t sc, mn;
    unpack_scale_min_k4(s, scales, &sc, &mn);
    const float scale = d * sc;
    const float offset = dmin * mn;
    for (int l = 0; l < 32; ++l) y[32 * s + l] = scale * q[32 * s + l] - offset;
  }
}

void dequantize_block(const block_q4_K& b, float* y) {
  uint8_t q[kQK_K];
  unpack_qs_K(b.qs, q);
  apply_scale_min_k4(b.d, b.dmin, b.scales, q, y);
}

void dequantize_block(const block_q5_K& b, float* y) {
  uint8_t q[kQK_K];
  unpack_q5_K(b, q);
  apply_scale_min_k4(b.d, b.dmin, b.scales, q, y);
}

void dequantize_block(const block_q6_K& b, float* y) {
  const float d = f16_to_f32(b.d);
  uint8_t q[kQK_K];
  unpack_q6_K(b, q);
  for (int i = 0; i < kQK_K; ++i) y[i] = d * b.scales[i / 16] * (q[i] - 32);
}

void dequantize_block(const block_q8_K& b, float* y) {
  for (int i = 0; i < kQK_K; ++i) y[i] = b.d * b.qs[i];
}

void dequantize_block(const block_iq4_nl& b, float* y) {
  const float d = f16_to_f32(b.d);
  uint8_t q[kQK];
  unpack_nibbles<16>(b.qs, q);
  for (int i = 0; i < kQK; ++i) y[i] = d * kIQ4NLValues[q[i]];
}

void dequantize_block(const block_iq4_xs& b, float* y) {
  const float d = f16_to_f32(b.d);
  for (int ib = 0; ib < kQK_K / 32; ++ib) {
    const float dl = d * iq4_xs_scale(b, ib);
    uint8_t q[32];
    unpack_nibbles<16>(b.qs + 16 * ib, q);
    for (int i = 0; i < 32; ++i) y[32 * ib + i] = dl * kIQ4NLValues[q[i]];
  }
}

// Walks a row block by block. Blocks are copied out because `src` may point anywhere in a
// mapped file, with no alignment guarantee for the struct.
template <typename Block>
void dequantize_blocks(const void* src, float* dst, int64_t n) {
  const auto* bytes = static_cast<const uint8_t*>(src);
  for (int64_t i = 0; i < n / Block::kElems; ++i) {
    Block b;
    std::memcpy(&b, bytes + i * static_cast<int64_t>(sizeof(Block)), sizeof(Block));
    dequantize_block(b, dst + i * Block::kElems);
  }
}

template <float (*kConvert)(uint16_t)>
void dequantize_halves(const void* src, float* dst, int64_t n) {
  const auto* bytes = static_cast<const uint8_t*>(src);
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, bytes + 2 * i, sizeof h);
    dst[i] = kConvert(h);
  }
}

}  // namespace

void dequantize_row(TensorType type, const void* src, float* dst, int64_t n) {
  const TypeTraits* traits = find_type_traits(static_cast<uint32_t>(type));
  if (traits == nullptr) fail("no dequantizer for unknown tensor type {}", static_cast<uint32_t>(type));
  if (n < 0 || n % traits->block_size != 0) {
    fail("cannot dequantize {} elements of {}: not a multiple of its block size {}", n, traits->name,
         traits->block_size);
  }
  switch (type) {
    case TensorType::F32: std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); return;
    case TensorType::F16: return dequantize_halves<f16_to_f32>(src, dst, n);
    case TensorType::BF16: return dequantize_halves<bf16_to_f32>(src, dst, n);
    case TensorType::Q4_0: return dequantize_blocks<block_q4_0>(src, dst, n);
    case TensorType::Q4_1: return dequantize_blocks<block_q4_1>(src, dst, n);
    case TensorType::Q5_0: return dequantize_blocks<block_q5_0>(src, dst, n);
    case TensorType::Q5_1: return dequantize_blocks<block_q5_1>(src, dst, n);
    case TensorType::Q8_0: return dequantize_blocks<block_q8_0>(src, dst, n);
    case TensorType::Q4_K: return dequantize_blocks<block_q4_K>(src, dst, n);
    case TensorType::Q5_K: return dequantize_blocks<block_q5_K>(src, dst, n);
    case TensorType::Q6_K: return dequantize_blocks<block_q6_K>(src, dst, n);
    case TensorType::Q8_K: return dequantize_blocks<block_q8_K>(src, dst, n);
    case TensorType::IQ4_NL: return dequantize_blocks<block_iq4_nl>(src, dst, n);
    case TensorType::IQ4_XS: return dequantize_blocks<block_iq4_xs>(src, dst, n);
    default: break;
  }
  fail("no dequantizer for tensor type {}", traits->name);
}

}  // namespace edgelm
