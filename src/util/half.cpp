#include "util/half.h"

#include <vector>

#include <bit>

// Pure integer bit manipulation on purpose: this is the reference the SIMD paths are
// checked against, so it must not depend on _Float16, F16C or the FPU's rounding mode
// (ggml's float-trick version silently changes under flush-to-zero).

namespace edgelm {
namespace {

constexpr uint32_t kF32SignMask = 0x80000000u;
constexpr uint32_t kF32AbsMask = 0x7fffffffu;
constexpr uint32_t kF32Inf = 0x7f800000u;
constexpr uint32_t kF32QuietBit = 0x00400000u;
constexpr uint16_t kF16Inf = 0x7c00;
constexpr uint16_t kF16QuietNaN = 0x7e00;  // what ggml produces for every NaN

// f32 exponent bias 127 minus f16 exponent bias 15.
constexpr uint32_t kExpRebias = 127 - 15;

// Rounds `value >> shift` to nearest, ties to even (shift >= 1).
uint32_t shift_right_rne(uint32_t value, int shift) {
  const uint32_t kept = value >> shift;
  const uint32_t rest = value & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  return kept + (rest > half || (rest == half && (kept & 1)) ? 1 : 0);
}

}  // namespace

float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t man = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    // Inf or NaN. NaN keeps its payload and comes out quiet, as on x86 hardware.
    bits = sign | kF32Inf | (man << 13) | (man != 0 ? kF32QuietBit : 0);
  } else if (exp != 0) {
    bits = sign | ((exp + kExpRebias) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;  // +-0
  } else {
    // Subnormal man * 2^-24: move the leading one to the implicit-bit position (bit 10).
    const int shift = std::countl_zero(man) - (32 - 11);
    const uint32_t norm = (man << shift) & 0x3ff;
    bits = sign | ((kExpRebias + 1 - static_cast<uint32_t>(shift)) << 23) | (norm << 13);
  }
  return std::bit_cast<float>(bits);
}

uint16_t f32_to_f16(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const auto sign = static_cast<uint16_t>((u & kF32SignMask) >> 16);
  const uint32_t a = u & kF32AbsMask;

  if (a > kF32Inf) return sign | kF16QuietNaN;
  // 65520 is halfway between 65504 (odd mantissa) and 65536, so it and everything above
  // rounds to infinity.
  if (a >= 0x477ff000u) return sign | kF16Inf;
  if (a >= 0x38800000u) {
    // Normal f16 (>= 2^-14): rebias the exponent, round the 23-bit mantissa to 10. A
    // mantissa carry correctly bumps the exponent.
    const uint32_t rebased = a - (kExpRebias << 23);
    return sign | static_cast<uint16_t>(shift_right_rne(rebased, 13));
  }
  // 2^-25 is the tie between 0 and the smallest subnormal 2^-24; it goes to even (0).
  if (a <= 0x33000000u) return sign;
  // Subnormal f16: count in units of 2^-24. The f32 value is m * 2^(e-150) with the
  // implicit bit restored, so the unit count is m >> (126 - e), rounded.
  const uint32_t e = a >> 23;
  const uint32_t m = (a & 0x7fffffu) | 0x800000u;
  // Rounding up to 0x400 yields the smallest normal's encoding, which is what we want.
  return sign | static_cast<uint16_t>(shift_right_rne(m, static_cast<int>(126 - e)));
}

float bf16_to_f32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

uint16_t f32_to_bf16(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  // NaN: truncate and force the quiet bit so a payload in the low half cannot turn the
  // result into infinity.
  if ((u & kF32AbsMask) > kF32Inf) return static_cast<uint16_t>((u >> 16) | 64);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

const float* f16_to_f32_table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t i = 0; i < t.size(); ++i) t[i] = f16_to_f32(static_cast<uint16_t>(i));
    return t;
  }();
  return table.data();
}

}  // namespace edgelm
