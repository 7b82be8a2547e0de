#include "quant/quantize.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

#include "quant/blocks.h"
#include "util/error.h"
#include "util/half.h"

// Reference quantizers. Design choices that hold for every block format:
//  * Codes are always chosen against the scale as it will be stored (after rounding to
//    f16 and, for the K-quants, to 6/8-bit sub-block scales), so the rounding of the
//    scale costs as little as possible.
//  * Non-finite input is rejected (Error naming the element), as is input so large that
//    a block scale overflows f16: either would silently turn a whole block into inf/NaN.
//    F32/F16/BF16 are plain conversions and pass inf/NaN through (F16 overflows to inf).
//  * All-zero input gives zero scales and decodes to exact zeros.
//  * Sub-block fits use two or three closed-form starts plus a fixed, small number of
//    least-squares refinements, not an open-ended search: the synth tool pushes billions
//    of values through Q6_K/Q4_K, which must stay well above 20 M values/s per core.

namespace edgelm {
namespace {

// Nearest integer (ties to even) for |v| < 2^22: adding 1.5 * 2^23 pushes the fraction
// out of the mantissa, so the FPU's rounding does the work without a libm call.
inline int round_small(float v) {
  const float shifted = v + 12582912.0f;
  return static_cast<int>(std::bit_cast<uint32_t>(shifted) & 0x7fffffu) - 0x400000;
}

// Nearest integer code in [lo, hi] for v.
inline int code_for(float v, int lo, int hi) {
  return round_small(std::clamp(v, static_cast<float>(lo), static_cast<float>(hi)));
}

// 1/d, or 0 for a zero (or subnormal, whose inverse would overflow) scale: codes then
// collapse to zero instead of becoming inf/NaN.
inline float inverse(float d) { return std::fabs(d) >= FLT_MIN ? 1.0f / d : 0.0f; }

// The scale that maps `extreme` onto `code`. An all-zero block gets +0, where the plain
// division by a negative code would store a -0 scale.
inline float scale_onto(float extreme, float code) { return extreme == 0.0f ? 0.0f : extreme / code; }

// The element of largest magnitude, with its sign (the first one on ties).
float signed_absmax(const float* x, int n) {
  float best = 0.0f;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > std::fabs(best)) best = x[i];
  }
  return best;
}

// Rounds a block scale to the f16 that will be stored; fails rather than store inf.
uint16_t store_scale(float d, TensorType type) {
  const uint16_t h = f32_to_f16(d);
  if ((h & 0x7fff) == 0x7c00) {
    fail("cannot quantize to {}: block scale {} overflows f16 (input values too large)", type_name(type), d);
  }
  return h;
}

// ---- Q8_0: symmetric, amax -> 127 -------------------------------------------------------

void quantize_block(const float* x, block_q8_0& b) {
  const float amax = std::fabs(signed_absmax(x, kQK));
  b.d = store_scale(amax / 127.0f, b.kType);
  const float id = inverse(f16_to_f32(b.d));
  for (int i = 0; i < kQK; ++i) b.qs[i] = static_cast<int8_t>(code_for(x[i] * id, -127, 127));
}

// ---- Q4_0: the signed extreme maps to -8, using the asymmetric range -8..7 ---------------

void quantize_block(const float* x, block_q4_0& b) {
  b.d = store_scale(scale_onto(signed_absmax(x, kQK), -8.0f), b.kType);
  const float id = inverse(f16_to_f32(b.d));
  uint8_t q[kQK];
  for (int i = 0; i < kQK; ++i) q[i] = static_cast<uint8_t>(code_for(x[i] * id, -8, 7) + 8);
  pack_nibbles<16>(q, b.qs);
}

// ---- IQ4_NL: one scale, codes index a non-linear table ------------------------------------

// Index of the table value nearest to t (t in table units).
int nearest_iq4nl(float t) {
  static constexpr auto kMidpoints = [] {
    std::array<float, 15> mid{};
    for (int k = 0; k < 15; ++k) mid[k] = 0.5f * static_cast<float>(kIQ4NLValues[k] + kIQ4NLValues[k + 1]);
    return mid;
  }();
  // Counting the midpoints below t is branch-free and beats a binary search over 15.
  int index = 0;
  for (float mid : kMidpoints) index += t > mid ? 1 : 0;
  return index;
}

// The scale for a 32-element block. The table is asymmetric (-127..113) and non-uniform,
// so no closed form exists: try mapping the extreme element onto a few table positions
// near either end, fit each assignment by least squares and keep the best.
float fit_iq4nl_scale(const float* x) {
  const float mx = signed_absmax(x, kQK);
  // Any scale (about mx / 127) would round to an f16 zero; stopping here also keeps
  // target / mx finite.
  if (std::fabs(mx) < 0x1p-20f) return 0.0f;
  static constexpr float kTargets[] = {-127, -123, -119, -115, -111, -107, 113, 109, 105, 101, 97};
  float best_gain = -1.0f, best_scale = 0.0f;
  for (float target : kTargets) {
    const float id = target / mx;
    float sum_xv = 0.0f, sum_vv = 0.0f;
    for (int i = 0; i < kQK; ++i) {
      const float v = kIQ4NLValues[nearest_iq4nl(x[i] * id)];
      sum_xv += x[i] * v;
      sum_vv += v * v;
    }
    // For the least-squares scale sum_xv / sum_vv the squared error is
    // sum(x^2) - sum_xv^2 / sum_vv, so the best candidate maximizes the second term.
    const float gain = sum_xv * sum_xv / sum_vv;
    if (gain > best_gain) {
      best_gain = gain;
      best_scale = sum_xv / sum_vv;
    }
  }
  return best_scale;
}

void quantize_block(const float* x, block_iq4_nl& b) {
  b.d = store_scale(fit_iq4nl_scale(x), b.kType);
  const float id = inverse(f16_to_f32(b.d));
  uint8_t q[kQK];
  // With a zero scale every code decodes to a zero; 8 (value +1) makes it +0.0, not -0.0.
  for (int i = 0; i < kQK; ++i) q[i] = static_cast<uint8_t>(id != 0.0f ? nearest_iq4nl(x[i] * id) : 8);
  pack_nibbles<16>(q, b.qs);
}

// ---- K-quant sub-block fits -----------------------------------------------------------------

constexpr int kFitRefinements = 2;

// x ~= scale * q - min with q in 0..nmax and min >= 0 (the lowest level is <= 0, as in
// ggml: sub-blocks of weights nearly always straddle zero).
struct AffineFit {
  float scale;
  float min;
};

// Alternates "nearest codes for this fit" with "least-squares fit for these codes"
// (each step can only lower the squared error). Writes the squared error of the last
// fit for the codes it was fitted to, which re-coding can only lower: good enough to
// rank starts without another pass. Leaves *sse infinite if no fit was made.
AffineFit refine_affine(const float* x, int n, int nmax, AffineFit fit, float* sse) {
  *sse = std::numeric_limits<float>::infinity();
  for (int iter = 0; iter < kFitRefinements && fit.scale > 0.0f && std::isfinite(fit.scale); ++iter) {
    const float inv = inverse(fit.scale);
    float sq = 0, sqq = 0, sx = 0, sxq = 0, sxx = 0;
    for (int i = 0; i < n; ++i) {
      const auto q = static_cast<float>(code_for((x[i] + fit.min) * inv, 0, nmax));
      sq += q;
      sqq += q * q;
      sx += x[i];
      sxq += x[i] * q;
      sxx += x[i] * x[i];
    }
    const float det = static_cast<float>(n) * sqq - sq * sq;
    if (det <= 0.0f) break;  // all codes equal: nothing to fit
    float scale = (static_cast<float>(n) * sxq - sq * sx) / det;
    float offset = (sx - scale * sq) / static_cast<float>(n);  // x ~= scale * q + offset
    if (offset > 0.0f) {  // would need a negative min: best fit with min pinned at 0
      scale = sxq / sqq;
      offset = 0.0f;
    }
    if (!(scale > 0.0f) || !std::isfinite(scale) || !std::isfinite(offset)) break;
    fit = {scale, std::max(0.0f, -offset)};
    *sse = sxx - scale * sxq - offset * sx;  // residual of a least-squares fit
  }
  return fit;
}

// Starts from the min/max range split into nmax + delta steps for delta in {-0.5, 0,
// 0.5}: the alternation only finds a local optimum, and nudging the step moves every
// rounding boundary. On N(0,1) data three starts cut Q4_K's error by ~4% (to within
// 0.3% of ggml's 21-candidate search) at ~70 M values/s; more starts gain <1%.
AffineFit fit_affine(const float* x, int n, int nmax) {
  float lo = 0.0f, hi = x[0];
  for (int i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  const float range = hi - lo;  // a non-finite range is left for store_scale to reject
  const float min = std::max(0.0f, -lo);  // max() avoids -0
  AffineFit best{range / static_cast<float>(nmax), min};
  float best_sse = std::numeric_limits<float>::infinity();
  for (float delta : {-0.5f, 0.0f, 0.5f}) {
    float sse;
    const AffineFit fit = refine_affine(x, n, nmax, {range / (static_cast<float>(nmax) + delta), min}, &sse);
    if (sse < best_sse) {
      best = fit;
      best_sse = sse;
    }
  }
  return best;
}

// x ~= scale * q with q in -32..31. refine_symmetric alternates nearest codes and the
// least-squares scale sum(x q) / sum(q^2); it also returns that fit's "gain"
// sum(x q)^2 / sum(q^2) (squared error = sum(x^2) - gain) so starts can be compared
// without another pass.
struct SymmetricFit {
  float scale;
  float gain;
};

SymmetricFit refine_symmetric(const float* x, int n, float scale) {
  SymmetricFit fit{scale, 0.0f};
  for (int iter = 0; iter < kFitRefinements && fit.scale != 0.0f; ++iter) {
    const float inv = inverse(fit.scale);
    float sqq = 0, sxq = 0;
    for (int i = 0; i < n; ++i) {
      const auto q = static_cast<float>(code_for(x[i] * inv, -32, 31));
      sqq += q * q;
      sxq += x[i] * q;
    }
    if (sqq == 0.0f || !std::isfinite(sxq * sxq)) break;
    fit = {sxq / sqq, sxq * sxq / sqq};
  }
  return fit;
}

// Two starts: the extreme element on -32 (the level +31 lacks), or on -31, clipping it a
// little for a finer step for the other 15. On N(0,1) data the second start lowers Q6_K's
// relative RMSE from 0.0182 to 0.0173 (ggml: 0.0177) at 85 instead of 128 M values/s.
float fit_symmetric_q6(const float* x, int n) {
  const float extreme = signed_absmax(x, n);
  SymmetricFit best{0.0f, -1.0f};
  for (float code : {-32.0f, -31.0f}) {
    const SymmetricFit fit = refine_symmetric(x, n, scale_onto(extreme, code));
    if (fit.gain > best.gain) best = fit;
  }
  return best.scale;
}

// Quantizes 8 non-negative values onto 6 bits against a shared f16 super-scale
// (largest -> 63). Returns the stored f16 and writes the 6-bit codes.
uint16_t quantize_sub_scales(const float values[8], uint8_t codes[8], TensorType type) {
  const float vmax = *std::max_element(values, values + 8);
  const uint16_t d16 = store_scale(vmax / 63.0f, type);
  const float id = inverse(f16_to_f32(d16));
  for (int j = 0; j < 8; ++j) codes[j] = static_cast<uint8_t>(code_for(values[j] * id, 0, 63));
  return d16;
}

// The shared body of q4_K and q5_K: eight affine sub-blocks of 32, 6-bit scales and mins
// packed by pack_scale_min_k4, codes 0..nmax returned for the caller to pack.
template <typename Block>
void quantize_k4_common(const float* x, int nmax, Block& b, uint8_t q[kQK_K]) {
  float scales[8], mins[8];
  for (int j = 0; j < 8; ++j) {
    const AffineFit fit = fit_affine(x + 32 * j, 32, nmax);
    scales[j] = fit.scale;
    mins[j] = fit.min;
  }
  uint8_t sc[8], mn[8];
  b.d = quantize_sub_scales(scales, sc, b.kType);
  b.dmin = quantize_sub_scales(mins, mn, b.kType);
  pack_scale_min_k4(sc, mn, b.scales);

  // Codes against the stored scales, computed exactly as the dequantizer will.
  const float d = f16_to_f32(b.d);
  const float dmin = f16_to_f32(b.dmin);
  for (int j = 0; j < 8; ++j) {
    const float scale = d * sc[j];
    const float min = dmin * mn[j];
    const float inv = inverse(scale);
    for (int l = 0; l < 32; ++l) {
      q[32 * j + l] = static_cast<uint8_t>(code_for((x[32 * j + l] + min) * inv, 0, nmax));
    }
  }
}

void quantize_block(const float* x, block_q4_K& b) {
  uint8_t q[kQK_K];
  quantize_k4_common(x, 15, b, q);
  pack_qs_K(q, b.qs);
}

void quantize_block(const float* x, block_q5_K& b) {
  uint8_t q[kQK_K];
  quantize_k4_common(x, 31, b, q);
  pack_q5_K(q, b);
}

// ---- Q6_K: sixteen symmetric sub-blocks of 16 with signed 8-bit scales -----------------------

void quantize_block(const float* x, block_q6_K& b) {
  float scales[16];
  for (int j = 0; j < 16; ++j) scales[j] = fit_symmetric_q6(x + 16 * j, 16);
  // The signed extreme scale maps to -128, the end of int8 with one more level.
  b.d = store_scale(scale_onto(signed_absmax(scales, 16), -128.0f), b.kType);
  const float d = f16_to_f32(b.d);
  const float id = inverse(d);
  uint8_t q[kQK_K];
  for (int j = 0; j < 16; ++j) {
    b.scales[j] = static_cast<int8_t>(code_for(scales[j] * id, -128, 127));
    const float inv = inverse(d * b.scales[j]);
    for (int l = 0; l < 16; ++l) q[16 * j + l] = static_cast<uint8_t>(code_for(x[16 * j + l] * inv, -32, 31) + 32);
  }
  pack_q6_K(q, b);
}

// ---- Row drivers ---------------------------------------------------------------------------

void check_finite(TensorType type, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(src[i])) fail("cannot quantize to {}: element {} is {}", type_name(type), i, src[i]);
  }
}

// Blocks are built locally and copied out, so `dst` needs no particular alignment.
template <typename Block>
void quantize_blocks(const float* src, void* dst, int64_t n) {
  check_finite(Block::kType, src, n);
  auto* bytes = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n / Block::kElems; ++i) {
    Block b{};
    quantize_block(src + i * Block::kElems, b);
    std::memcpy(bytes + i * static_cast<int64_t>(sizeof(Block)), &b, sizeof(Block));
  }
}

template <uint16_t (*kConvert)(float)>
void quantize_halves(const float* src, void* dst, int64_t n) {
  auto* bytes = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t h = kConvert(src[i]);
    std::memcpy(bytes + 2 * i, &h, sizeof h);
  }
}

}  // namespace

void quantize_row(TensorType type, const float* src, void* dst, int64_t n) {
  const TypeTraits* traits = find_type_traits(static_cast<uint32_t>(type));
  if (traits == nullptr) fail("no quantizer for unknown tensor type {}", static_cast<uint32_t>(type));
  if (n < 0 || n % traits->block_size != 0) {
    fail("cannot quantize {} elements to {}: not a multiple of its block size {}", n, traits->name,
         traits->block_size);
  }
  switch (type) {
    case TensorType::F32: std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); return;
    case TensorType::F16: return quantize_halves<f32_to_f16>(src, dst, n);
    case TensorType::BF16: return quantize_halves<f32_to_bf16>(src, dst, n);
    case TensorType::Q8_0: return quantize_blocks<block_q8_0>(src, dst, n);
    case TensorType::Q4_0: return quantize_blocks<block_q4_0>(src, dst, n);
    case TensorType::Q4_K: return quantize_blocks<block_q4_K>(src, dst, n);
    case TensorType::Q5_K: return quantize_blocks<block_q5_K>(src, dst, n);
    case TensorType::Q6_K: return quantize_blocks<block_q6_K>(src, dst, n);
    case TensorType::IQ4_NL: return quantize_blocks<block_iq4_nl>(src, dst, n);
    default: break;
  }
  fail("no quantizer for tensor type {} (can quantize to: {})", traits->name, quantizable_type_names());
}

}  // namespace edgelm
