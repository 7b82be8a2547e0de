// Tests for the reference tensor formats: f16/bf16 conversion, dequantization of
// hand-built blocks (expected values derived here from the format definitions, not from
// the implementation) and quantize -> dequantize round trips.
#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "quant/blocks.h"
#include "quant/dequantize.h"
#include "quant/quantize.h"
#include "quant/tensor_type.h"
#include "util/error.h"
#include "util/half.h"

namespace edgelm {
namespace {

// ---- helpers --------------------------------------------------------------------------------

constexpr uint16_t kF16Half = 0x3800;     // 0.5
constexpr uint16_t kF16One = 0x3c00;      // 1.0
constexpr uint16_t kF16Quarter = 0x3400;  // 0.25
constexpr uint16_t kF16Eighth = 0x3000;   // 0.125
constexpr uint16_t kF16MinusOne = 0xbc00; // -1.0

template <typename Block>
std::vector<float> dequantize_block(const Block& b) {
  std::vector<float> y(Block::kElems);
  dequantize_row(Block::kType, &b, y.data(), Block::kElems);
  return y;
}

std::vector<uint8_t> quantize(TensorType type, const std::vector<float>& x) {
  std::vector<uint8_t> out(row_bytes(type, x.size()));
  quantize_row(type, x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

std::vector<float> dequantize(TensorType type, const std::vector<uint8_t>& data, size_t n) {
  std::vector<float> y(n);
  dequantize_row(type, data.data(), y.data(), static_cast<int64_t>(n));
  return y;
}

std::vector<float> normal_data(size_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

// Root-mean-square error relative to the data's RMS.
double relative_rmse(const std::vector<float>& x, const std::vector<float>& y) {
  double err = 0, norm = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    err += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
    norm += static_cast<double>(x[i]) * x[i];
  }
  return std::sqrt(err / norm);
}

// Message of the edgelm::Error `fn` throws, or "" if it throws none.
std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool is_f16_nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }

// Value of an f16 bit pattern computed with plain arithmetic, as an oracle.
double f16_value(uint16_t h) {
  const int exp = (h >> 10) & 0x1f;
  const int man = h & 0x3ff;
  const double mag = exp == 0 ? std::ldexp(man, -24) : std::ldexp(1024 + man, exp - 25);
  return (h & 0x8000) ? -mag : mag;
}

// ---- f16 ------------------------------------------------------------------------------------

TEST(Half, F16KnownValues) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xc000);
  EXPECT_EQ(f32_to_f16(0.5f), kF16Half);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);  // largest finite
  EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0x03ff), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(f32_to_f16(0.0f), 0x0000);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_TRUE(std::signbit(f16_to_f32(0x8000)));
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(f32_to_f16(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_EQ(f16_to_f32(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::denorm_min()), 0x0000);  // f32 subnormal
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::max()), 0x7c00);
}

TEST(Half, F16NaNStaysNaN) {
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::quiet_NaN()), 0x7e00);
  EXPECT_EQ(f32_to_f16(std::bit_cast<float>(0xff800001u)), 0xfe00);  // signalling, negative
  EXPECT_EQ(f32_to_f16(std::bit_cast<float>(0x7f801000u)), 0x7e00);  // payload below f16's bits
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7c01)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0xfe00)));
}

TEST(Half, F16RoundsToNearestEven) {
  const float ulp = std::ldexp(1.0f, -10);  // f16 spacing in [1, 2)
  EXPECT_EQ(f32_to_f16(1.0f + ulp / 2), 0x3c00);      // tie, 0x3c00 is even
  EXPECT_EQ(f32_to_f16(1.0f + 3 * ulp / 2), 0x3c02);  // tie, 0x3c02 is even
  EXPECT_EQ(f32_to_f16(std::nextafter(1.0f + ulp / 2, 2.0f)), 0x3c01);
  EXPECT_EQ(f32_to_f16(std::nextafter(1.0f + 3 * ulp / 2, 0.0f)), 0x3c01);
  EXPECT_EQ(f32_to_f16(2.0f - ulp / 4), 0x4000);  // carry into the exponent
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);  // tie between 65504 (odd) and 2^16: overflows
  EXPECT_EQ(f32_to_f16(-65520.0f), 0xfc00);
  // Subnormal range, in units of 2^-24.
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);  // tie between 0 and 1
  EXPECT_EQ(f32_to_f16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(f32_to_f16(std::ldexp(3.0f, -25)), 0x0002);  // 1.5 units: tie -> 2
  EXPECT_EQ(f32_to_f16(std::ldexp(5.0f, -25)), 0x0002);  // 2.5 units: tie -> 2
  EXPECT_EQ(f32_to_f16(std::ldexp(2047.0f, -25)), 0x0400);  // 1023.5 units -> smallest normal
  EXPECT_EQ(f32_to_f16(-std::ldexp(3.0f, -25)), 0x8002);
}

TEST(Half, F16AllPatternsDecodeAndRoundTrip) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const auto bits = static_cast<uint16_t>(h);
    const float f = f16_to_f32(bits);
    if (is_f16_nan(bits)) {
      EXPECT_TRUE(std::isnan(f)) << h;
      EXPECT_TRUE(is_f16_nan(f32_to_f16(f))) << h;
      continue;
    }
    if ((bits & 0x7fff) == 0x7c00) {
      EXPECT_TRUE(std::isinf(f)) << h;
    } else {
      ASSERT_EQ(static_cast<double>(f), f16_value(bits)) << h;
    }
    ASSERT_EQ(f32_to_f16(f), bits) << h;
  }
}

// Every midpoint between adjacent finite f16 values rounds to the even neighbour, and
// the floats on either side of it round to the nearer one.
TEST(Half, F16AllMidpointsRoundToEven) {
  for (uint16_t sign : {uint16_t{0}, uint16_t{0x8000}}) {
    for (uint16_t h = 0; h < 0x7bff; ++h) {
      const auto lo = static_cast<uint16_t>(sign | h), hi = static_cast<uint16_t>(sign | (h + 1));
      const double a = f16_value(lo), b = f16_value(hi);
      const auto mid = static_cast<float>((a + b) / 2);  // 12 significant bits: exact
      ASSERT_EQ(static_cast<double>(mid), (a + b) / 2);
      ASSERT_EQ(f32_to_f16(mid), (h & 1) ? hi : lo) << h;
      ASSERT_EQ(f32_to_f16(std::nextafter(mid, static_cast<float>(a))), lo) << h;
      ASSERT_EQ(f32_to_f16(std::nextafter(mid, static_cast<float>(b))), hi) << h;
    }
  }
}

// ---- bf16 -----------------------------------------------------------------------------------

TEST(Half, BF16KnownValuesAndTies) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xc040), -3.0f);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // 1 + 2^-8: tie -> even
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f818000u)), 0x3f82);  // 1 + 3*2^-8: tie -> even
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808001u)), 0x3f81);  // above the tie
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f817fffu)), 0x3f81);  // below the tie
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7f80);  // rounds up to inf
  EXPECT_EQ(f32_to_bf16(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x0000c000u)), 0x0001);  // subnormals round too
  // NaN: truncated and forced quiet, even when the payload is only in the low half.
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x7f800001u)), 0x7fc0);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0xffc00000u)), 0xffc0);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x7f810000u)), 0x7fc1);
}

TEST(Half, BF16AllPatternsRoundTrip) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const auto bits = static_cast<uint16_t>(h);
    const float f = bf16_to_f32(bits);
    ASSERT_EQ(std::bit_cast<uint32_t>(f), h << 16);
    if (std::isnan(f)) {
      EXPECT_EQ(f32_to_bf16(f), bits | 64) << h;
    } else {
      ASSERT_EQ(f32_to_bf16(f), bits) << h;
    }
  }
}

// ---- block table ------------------------------------------------------------------------------

template <typename Block>
void expect_matches_table() {
  const TypeTraits& t = type_traits(Block::kType);
  EXPECT_EQ(sizeof(Block), t.type_size) << t.name;
  EXPECT_EQ(static_cast<uint32_t>(Block::kElems), t.block_size) << t.name;
}

TEST(Blocks, SizesMatchTypeTable) {
  expect_matches_table<block_q4_0>();
  expect_matches_table<block_q4_1>();
  expect_matches_table<block_q5_0>();
  expect_matches_table<block_q5_1>();
  expect_matches_table<block_q8_0>();
  expect_matches_table<block_q4_K>();
  expect_matches_table<block_q5_K>();
  expect_matches_table<block_q6_K>();
  expect_matches_table<block_q8_K>();
  expect_matches_table<block_iq4_nl>();
  expect_matches_table<block_iq4_xs>();
}

// The can_dequantize / can_quantize columns must say exactly what the code does.
TEST(Blocks, TableFlagsMatchImplementations) {
  int dequantizable = 0, quantizable = 0;
  for (uint32_t id = 0; id < 64; ++id) {
    const TypeTraits* t = find_type_traits(id);
    if (t == nullptr) continue;
    std::vector<uint8_t> bytes(t->type_size, 0);
    std::vector<float> values(t->block_size, 0.0f);
    const std::string deq = error_of([&] { dequantize_row(t->type, bytes.data(), values.data(), t->block_size); });
    const std::string q = error_of([&] { quantize_row(t->type, values.data(), bytes.data(), t->block_size); });
    EXPECT_EQ(deq.empty(), t->can_dequantize) << t->name << ": " << deq;
    EXPECT_EQ(q.empty(), t->can_quantize) << t->name << ": " << q;
    if (!deq.empty()) {
      EXPECT_NE(deq.find(t->name), std::string::npos) << deq;
    }
    if (!q.empty()) {
      EXPECT_NE(q.find(t->name), std::string::npos) << q;
    }
    dequantizable += t->can_dequantize;
    quantizable += t->can_quantize;
  }
  EXPECT_EQ(dequantizable, 14);
  EXPECT_EQ(quantizable, 9);
}

TEST(Blocks, UnsupportedTypesAndBadLengthsAreNamed) {
  std::vector<uint8_t> bytes(1024);
  std::vector<float> values(256);
  EXPECT_EQ(error_of([&] { dequantize_row(TensorType::Q2_K, bytes.data(), values.data(), 256); }),
            "no dequantizer for tensor type q2_k");
  EXPECT_NE(error_of([&] { quantize_row(TensorType::Q4_1, values.data(), bytes.data(), 32); }).find("q4_1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { quantize_row(TensorType::IQ4_XS, values.data(), bytes.data(), 256); }).find("iq4_xs"),
            std::string::npos);
  EXPECT_NE(error_of([&] { dequantize_row(TensorType::Q4_0, bytes.data(), values.data(), 31); }).find("q4_0"),
            std::string::npos);
  EXPECT_NE(error_of([&] { quantize_row(TensorType::Q6_K, values.data(), bytes.data(), 128); }).find("256"),
            std::string::npos);
  EXPECT_NE(error_of([&] { dequantize_row(static_cast<TensorType>(4), bytes.data(), values.data(), 32); }),
            "");  // retired type id
}

// ---- packing helpers: each packer inverts its unpacker ----------------------------------------

TEST(Blocks, PackersInvertUnpackers) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  uint8_t sc[8], mn[8], packed[12];
  for (int j = 0; j < 8; ++j) sc[j] = static_cast<uint8_t>(byte(rng) & 63), mn[j] = static_cast<uint8_t>(byte(rng) & 63);
  pack_scale_min_k4(sc, mn, packed);
  for (int j = 0; j < 8; ++j) {
    uint8_t s, m;
    unpack_scale_min_k4(j, packed, &s, &m);
    EXPECT_EQ(s, sc[j]) << j;
    EXPECT_EQ(m, mn[j]) << j;
  }

  uint8_t q[kQK_K], back[kQK_K];
  for (auto& v : q) v = static_cast<uint8_t>(byte(rng) & 63);
  block_q6_K b6{};
  pack_q6_K(q, b6);
  unpack_q6_K(b6, back);
  EXPECT_EQ(std::memcmp(q, back, sizeof q), 0);

  for (auto& v : q) v &= 31;
  block_q5_K b5{};
  pack_q5_K(q, b5);
  unpack_q5_K(b5, back);
  EXPECT_EQ(std::memcmp(q, back, sizeof q), 0);

  uint8_t qs[16], qh[4];
  pack_q5_32(q, qs, qh);
  unpack_q5_32(qs, qh, back);
  EXPECT_EQ(std::memcmp(q, back, kQK), 0);
}

// ---- known vectors: blocks built by hand ------------------------------------------------------

// qs[j] = j in the low nibble, 15 - j in the high one: every nibble position distinct.
template <size_t N>
void fill_ramp_nibbles(uint8_t (&qs)[N]) {
  for (size_t j = 0; j < N; ++j) qs[j] = static_cast<uint8_t>((j % 16) | (15 - j % 16) << 4);
}

TEST(KnownVectors, Q4_0) {
  block_q4_0 b{};
  b.d = kF16Half;
  std::memset(b.qs, 0x9a, sizeof b.qs);
  auto y = dequantize_block(b);
  EXPECT_EQ(y[0], 1.0f);   // (0xA - 8) * 0.5
  EXPECT_EQ(y[16], 0.5f);  // (0x9 - 8) * 0.5

  fill_ramp_nibbles(b.qs);
  y = dequantize_block(b);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 0.5f) << j;
    EXPECT_EQ(y[j + 16], (7 - j) * 0.5f) << j;
  }
  EXPECT_EQ(y[0], -4.0f);
  EXPECT_EQ(y[31], -4.0f);
}

TEST(KnownVectors, Q4_1) {
  block_q4_1 b{};
  b.d = kF16Half;
  b.m = kF16MinusOne;
  fill_ramp_nibbles(b.qs);
  const auto y = dequantize_block(b);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], j * 0.5f - 1.0f) << j;
    EXPECT_EQ(y[j + 16], (15 - j) * 0.5f - 1.0f) << j;
  }
  EXPECT_EQ(y[16], 6.5f);
}

// The fifth bit of element i is bit i of the little-endian word qh: bits 0 and 15 cover
// elements of the low nibbles, 17 and 30 elements of the high nibbles.
constexpr uint8_t kQ5Qh[4] = {0x01, 0x80, 0x02, 0x40};

int q5_low(int i) { return i < 16 ? i : 31 - i; }  // ramp nibbles
int q5_high(int i) { return (i == 0 || i == 15 || i == 17 || i == 30) ? 16 : 0; }

TEST(KnownVectors, Q5_0) {
  block_q5_0 b{};
  b.d = kF16Quarter;
  fill_ramp_nibbles(b.qs);
  std::memcpy(b.qh, kQ5Qh, 4);
  const auto y = dequantize_block(b);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], (q5_low(i) + q5_high(i) - 16) * 0.25f) << i;
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], -3.75f);
  EXPECT_EQ(y[15], 3.75f);
  EXPECT_EQ(y[16], -0.25f);
  EXPECT_EQ(y[17], 3.5f);
  EXPECT_EQ(y[30], 0.25f);
  EXPECT_EQ(y[31], -4.0f);
}

TEST(KnownVectors, Q5_1) {
  block_q5_1 b{};
  b.d = kF16Half;
  b.m = kF16Quarter;
  fill_ramp_nibbles(b.qs);
  std::memcpy(b.qh, kQ5Qh, 4);
  const auto y = dequantize_block(b);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], (q5_low(i) + q5_high(i)) * 0.5f + 0.25f) << i;
  EXPECT_EQ(y[15], 15.75f);
  EXPECT_EQ(y[17], 15.25f);
  EXPECT_EQ(y[31], 0.25f);
}

TEST(KnownVectors, Q8_0) {
  block_q8_0 b{};
  b.d = kF16Eighth;
  for (int i = 0; i < 32; ++i) b.qs[i] = static_cast<int8_t>(8 * i - 128);
  const auto y = dequantize_block(b);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], static_cast<float>(i - 16)) << i;
}

// Scales {1,2,3,4,50,33,17,63} and mins {0,5,10,2,21,40,63,1} packed by hand:
// bytes 0-3 = scale[j] | (scale[j+4] >> 4) << 6, bytes 4-7 = min[j] | (min[j+4] >> 4) << 6,
// bytes 8-11 = (scale[j+4] & 15) | (min[j+4] & 15) << 4.
constexpr uint8_t kK4Scales[12] = {0xc1, 0x82, 0x43, 0xc4, 0x40, 0x85, 0xca, 0x02, 0x52, 0x81, 0xf1, 0x1f};
constexpr int kK4Scale[8] = {1, 2, 3, 4, 50, 33, 17, 63};
constexpr int kK4Min[8] = {0, 5, 10, 2, 21, 40, 63, 1};

// Low four bits of element e in a q4_K/q5_K block whose qs is a ramp: each 64-element
// group takes its first 32 from the low nibbles of 32 bytes, the next 32 from the high.
int k4_low(const uint8_t* qs, int e) {
  const int group = e / 64, r = e % 64;
  return r < 32 ? qs[32 * group + r] & 15 : qs[32 * group + r - 32] >> 4;
}

TEST(KnownVectors, Q4_K) {
  block_q4_K b{};
  b.d = kF16One;
  b.dmin = kF16Half;
  std::memcpy(b.scales, kK4Scales, 12);
  fill_ramp_nibbles(b.qs);
  const auto y = dequantize_block(b);
  for (int e = 0; e < 256; ++e) {
    EXPECT_EQ(y[e], static_cast<float>(kK4Scale[e / 32] * k4_low(b.qs, e)) - 0.5f * kK4Min[e / 32]) << e;
  }
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[32], 27.5f);    // high nibble of qs[0] = 15, sub-block 1: 2 * 15 - 0.5 * 5
  EXPECT_EQ(y[133], 239.5f);  // low nibble of qs[69] = 5, sub-block 4: 50 * 5 - 0.5 * 21
  EXPECT_EQ(y[224], 944.5f);  // high nibble of qs[96] = 15, sub-block 7: 63 * 15 - 0.5
  EXPECT_EQ(y[255], -0.5f);   // high nibble of qs[127] = 0
}

TEST(KnownVectors, Q5_K) {
  block_q5_K b{};
  b.d = kF16One;
  b.dmin = kF16Half;
  std::memcpy(b.scales, kK4Scales, 12);
  fill_ramp_nibbles(b.qs);
  // Element e's fifth bit is qh[e % 32] bit e / 32: elements 0, 224, 133 and 63.
  b.qh[0] = 0x81;
  b.qh[5] = 0x10;
  b.qh[31] = 0x02;
  const auto y = dequantize_block(b);
  for (int e = 0; e < 256; ++e) {
    const int high = (e == 0 || e == 224 || e == 133 || e == 63) ? 16 : 0;
    EXPECT_EQ(y[e], static_cast<float>(kK4Scale[e / 32] * (k4_low(b.qs, e) + high)) - 0.5f * kK4Min[e / 32])
        << e;
  }
  EXPECT_EQ(y[0], 16.0f);
  EXPECT_EQ(y[5], 5.0f);
  EXPECT_EQ(y[32], 27.5f);
  EXPECT_EQ(y[63], 29.5f);     // 2 * (0 + 16) - 2.5
  EXPECT_EQ(y[133], 1039.5f);  // 50 * (5 + 16) - 10.5
  EXPECT_EQ(y[224], 1952.5f);  // 63 * (15 + 16) - 0.5
}

TEST(KnownVectors, Q6_K) {
  block_q6_K b{};
  b.d = kF16Half;
  constexpr int8_t kScales[16] = {1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -128};
  std::memcpy(b.scales, kScales, 16);
  for (int i = 0; i < 128; ++i) b.ql[i] = static_cast<uint8_t>(i);
  // Two bits per quarter of each half: first half quarters get 0,1,2,3, second 3,2,1,0.
  std::memset(b.qh, 0xe4, 32);
  std::memset(b.qh + 32, 0x1b, 32);
  const auto y = dequantize_block(b);
  for (int e = 0; e < 256; ++e) {
    const int half = e / 128, quarter = (e % 128) / 32, l = e % 32;
    const uint8_t ql = b.ql[64 * half + 32 * (quarter % 2) + l];
    const int low = quarter < 2 ? ql & 15 : ql >> 4;
    const int high = (b.qh[32 * half + l] >> (2 * quarter)) & 3;
    EXPECT_EQ(y[e], 0.5f * kScales[e / 16] * ((low | high << 4) - 32)) << e;
  }
  EXPECT_EQ(y[0], -16.0f);     // q 0, scale 1
  EXPECT_EQ(y[33], -15.0f);    // quarter 1: low of ql[33] = 1, high 1 -> 17; scale 2
  EXPECT_EQ(y[95], -1.5f);     // quarter 2: high of ql[31] = 1, high 2 -> 33; scale -3
  EXPECT_EQ(y[127], -38.0f);   // quarter 3: high of ql[63] = 3, high 3 -> 51; scale -4
  EXPECT_EQ(y[128], 40.0f);    // second half: low of ql[64] = 0, high 3 -> 48; scale 5
  EXPECT_EQ(y[197], -42.0f);   // quarter 2: high of ql[69] = 4, high 1 -> 20; scale 7
  EXPECT_EQ(y[255], 1600.0f);  // quarter 3: high of ql[127] = 7, high 0 -> 7; scale -128
}

TEST(KnownVectors, Q8_K) {
  block_q8_K b{};
  b.d = 0.25f;
  for (int i = 0; i < 256; ++i) b.qs[i] = static_cast<int8_t>(i - 128);
  for (auto& s : b.bsums) s = 12345;  // not part of the values
  const auto y = dequantize_block(b);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(y[i], 0.25f * (i - 128)) << i;
}

TEST(KnownVectors, IQ4_NL) {
  block_iq4_nl b{};
  b.d = kF16Half;
  fill_ramp_nibbles(b.qs);
  const auto y = dequantize_block(b);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.5f * kIQ4NLValues[j]) << j;
    EXPECT_EQ(y[j + 16], 0.5f * kIQ4NLValues[15 - j]) << j;
  }
  EXPECT_EQ(y[0], -63.5f);
  EXPECT_EQ(y[8], 0.5f);
  EXPECT_EQ(y[16], 56.5f);
  EXPECT_EQ(y[31], -63.5f);
}

TEST(KnownVectors, IQ4_XS) {
  block_iq4_xs b{};
  b.d = kF16Half;
  // Biased 6-bit scales {32, 33, 0, 63, 16, 48, 31, 40}: low nibbles two per byte, top
  // two bits per sub-block in scales_h = 2,2,0,3,1,3,1,2 (from bit 0 up) = 0x9dca.
  constexpr int kScale[8] = {0, 1, -32, 31, -16, 16, -1, 8};
  b.scales_l[0] = 0x10;
  b.scales_l[1] = 0xf0;
  b.scales_l[2] = 0x00;
  b.scales_l[3] = 0x8f;
  b.scales_h = 0x9dca;
  fill_ramp_nibbles(b.qs);
  const auto y = dequantize_block(b);
  for (int e = 0; e < 256; ++e) {
    const int j = e % 32;
    const int q = j < 16 ? j : 15 - (j - 16);
    EXPECT_EQ(y[e], 0.5f * kScale[e / 32] * kIQ4NLValues[q]) << e;
  }
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[32], -63.5f);     // scale 1, value -127
  EXPECT_EQ(y[72], -16.0f);     // scale -32 (biased 0), value 1
  EXPECT_EQ(y[112], 1751.5f);   // scale 31 (biased 63, high bits 3), value 113
  EXPECT_EQ(y[131], 520.0f);    // scale -16, value -65
  EXPECT_EQ(y[191], -1016.0f);  // scale 16 (high bits 3), value -127
  EXPECT_EQ(y[233], 52.0f);     // scale 8 (low 8, high 2), value 13
}

TEST(KnownVectors, FloatFormats) {
  const uint8_t f16[4] = {0x00, 0x3c, 0x00, 0xc0};  // 1.0, -2.0 little-endian
  const uint8_t bf16[4] = {0x80, 0x3f, 0x40, 0xc0};  // 1.0, -3.0
  float y[2];
  dequantize_row(TensorType::F16, f16, y, 2);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -2.0f);
  dequantize_row(TensorType::BF16, bf16, y, 2);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -3.0f);
  const float f32[2] = {1.5f, -0.0f};
  dequantize_row(TensorType::F32, f32, y, 2);
  EXPECT_EQ(std::memcmp(y, f32, sizeof y), 0);
}

// Rows inside a GGUF file need not be aligned for the block structs.
TEST(KnownVectors, UnalignedRows) {
  const auto x = normal_data(512, 3);
  for (TensorType type : {TensorType::Q6_K, TensorType::Q4_K, TensorType::Q8_0, TensorType::F16}) {
    const auto aligned = quantize(type, x);
    std::vector<uint8_t> shifted(aligned.size() + 1);
    quantize_row(type, x.data(), shifted.data() + 1, 512);
    EXPECT_EQ(std::memcmp(shifted.data() + 1, aligned.data(), aligned.size()), 0) << type_name(type);
    std::vector<float> y(512);
    dequantize_row(type, shifted.data() + 1, y.data(), 512);
    EXPECT_EQ(y, dequantize(type, aligned, 512)) << type_name(type);
  }
}

// ---- quantize -> dequantize round trips -------------------------------------------------------

constexpr size_t kRoundTripN = 256 * 512;

struct RoundTripCase {
  TensorType type;
  double max_relative_rmse;
};

// Measured on N(0, 1) data (seed 1): q8_0 0.00536, q4_0 0.0859, iq4_nl 0.0746,
// q4_k 0.0716, q5_k 0.0360, q6_k 0.0174; bounds leave ~5% headroom. (ggml's reference
// quantizers on the same kind of data: 0.00535, 0.0859, 0.0762, 0.0714, 0.0361, 0.0177.)
constexpr RoundTripCase kRoundTrips[] = {
    {TensorType::Q8_0, 0.0056}, {TensorType::Q4_0, 0.090},  {TensorType::IQ4_NL, 0.078},
    {TensorType::Q4_K, 0.075},  {TensorType::Q5_K, 0.0378}, {TensorType::Q6_K, 0.0182},
};

TEST(RoundTrip, RelativeRmseWithinFormatBounds) {
  const auto x = normal_data(kRoundTripN, 1);
  for (const auto& c : kRoundTrips) {
    const double rmse = relative_rmse(x, dequantize(c.type, quantize(c.type, x), x.size()));
    EXPECT_LT(rmse, c.max_relative_rmse) << type_name(c.type);
    EXPECT_GT(rmse, 0.0) << type_name(c.type);
    std::printf("  %-7s relative rmse %.5f (bound %.4f)\n", type_name(c.type), rmse, c.max_relative_rmse);
  }
}

// The K-quants' fits are relative: scaling the input scales the error.
TEST(RoundTrip, ErrorScalesWithInput) {
  const auto x = normal_data(4096, 2);
  for (TensorType type : {TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K, TensorType::IQ4_NL}) {
    for (float sigma : {1e-3f, 50.0f}) {
      std::vector<float> xs(x);
      for (float& v : xs) v *= sigma;
      const double ref = relative_rmse(x, dequantize(type, quantize(type, x), x.size()));
      const double rmse = relative_rmse(xs, dequantize(type, quantize(type, xs), xs.size()));
      EXPECT_NEAR(rmse, ref, 0.05 * ref) << type_name(type) << " sigma " << sigma;
    }
  }
}

// Data far below zero: the sub-block mins carry the offset, the scales only the spread.
TEST(RoundTrip, NegativeOffsetDataUsesMins) {
  auto x = normal_data(2048, 4);
  for (float& v : x) v = -10.0f + 0.1f * v;
  for (TensorType type : {TensorType::Q4_K, TensorType::Q5_K}) {
    const auto y = dequantize(type, quantize(type, x), x.size());
    double err = 0;
    for (size_t i = 0; i < x.size(); ++i) err += (x[i] - y[i]) * (x[i] - y[i]);
    const double rmse_over_spread = std::sqrt(err / static_cast<double>(x.size())) / 0.1;
    std::printf("  %-7s offset data rmse / spread %.4f\n", type_name(type), rmse_over_spread);
    EXPECT_LT(rmse_over_spread, type == TensorType::Q4_K ? 0.14 : 0.115) << type_name(type);
  }
}

TEST(RoundTrip, Q8_0ErrorAtMostHalfAStep) {
  const auto x = normal_data(4096, 5);
  const auto q = quantize(TensorType::Q8_0, x);
  const auto y = dequantize(TensorType::Q8_0, q, x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    block_q8_0 b;
    std::memcpy(&b, q.data() + (i / 32) * sizeof b, sizeof b);
    const float d = f16_to_f32(b.d);
    ASSERT_LE(std::fabs(x[i] - y[i]), 0.5f * d * 1.0001f) << i;
  }
}

TEST(RoundTrip, Q4_0ExtremeIsExactAndErrorBounded) {
  const auto x = normal_data(4096, 6);
  const auto q = quantize(TensorType::Q4_0, x);
  const auto y = dequantize(TensorType::Q4_0, q, x.size());
  for (size_t blk = 0; blk < x.size() / 32; ++blk) {
    block_q4_0 b;
    std::memcpy(&b, q.data() + blk * sizeof b, sizeof b);
    const float d = f16_to_f32(b.d);
    size_t extreme = blk * 32;
    for (size_t i = blk * 32; i < blk * 32 + 32; ++i) {
      if (std::fabs(x[i]) > std::fabs(x[extreme])) extreme = i;
      // Half a step, except values beyond +7 steps on the short side of the range.
      const float bound = std::fabs(x[i] / d) <= 7.5f ? 0.5f * std::fabs(d) : std::fabs(d);
      ASSERT_LE(std::fabs(x[i] - y[i]), bound * 1.0001f) << i;
    }
    EXPECT_EQ(y[extreme], -8.0f * d);  // the extreme maps to code 0 (-8 after the offset)
    EXPECT_NEAR(y[extreme], x[extreme], std::fabs(x[extreme]) * 1e-3);  // only f16 rounding of d
  }
}

TEST(RoundTrip, FloatTypes) {
  auto x = normal_data(1024, 8);
  x[3] = std::numeric_limits<float>::infinity();
  x[4] = std::numeric_limits<float>::quiet_NaN();
  x[5] = -0.0f;
  // F32 is exact, bit for bit (NaN included).
  const auto y32 = dequantize(TensorType::F32, quantize(TensorType::F32, x), x.size());
  EXPECT_EQ(std::memcmp(x.data(), y32.data(), x.size() * sizeof(float)), 0);
  // F16/BF16 store exactly the rounded conversions and pass inf/NaN through.
  const auto q16 = quantize(TensorType::F16, x);
  const auto qb16 = quantize(TensorType::BF16, x);
  for (size_t i = 0; i < x.size(); ++i) {
    uint16_t h, hb;
    std::memcpy(&h, q16.data() + 2 * i, 2);
    std::memcpy(&hb, qb16.data() + 2 * i, 2);
    ASSERT_EQ(h, f32_to_f16(x[i])) << i;
    ASSERT_EQ(hb, f32_to_bf16(x[i])) << i;
  }
  const auto y16 = dequantize(TensorType::F16, q16, x.size());
  EXPECT_TRUE(std::isinf(y16[3]));
  EXPECT_TRUE(std::isnan(y16[4]));
  EXPECT_TRUE(std::signbit(y16[5]));
  EXPECT_LT(std::fabs(y16[0] - x[0]), std::fabs(x[0]) * std::ldexp(1.0f, -11) * 1.0001f);
  // Values representable in f16 survive the trip exactly.
  std::vector<float> exact = {1.0f, -2.5f, 65504.0f, std::ldexp(1.0f, -24), 0.0f, 1023.5f};
  EXPECT_EQ(dequantize(TensorType::F16, quantize(TensorType::F16, exact), exact.size()), exact);
  EXPECT_EQ(dequantize(TensorType::BF16, quantize(TensorType::BF16, exact), exact.size())[3], exact[3]);
}

// Re-quantizing dequantized data reproduces the same bytes: the formats' grids are fixed
// points of their quantizers.
TEST(RoundTrip, Idempotent) {
  const auto x = normal_data(4096, 9);
  for (TensorType type : {TensorType::Q8_0, TensorType::Q4_0}) {
    const auto q1 = quantize(type, x);
    const auto q2 = quantize(type, dequantize(type, q1, x.size()));
    EXPECT_EQ(q1, q2) << type_name(type);
  }
}

// For the others, a second pass may pick different codes, but must not lose accuracy.
TEST(RoundTrip, RequantizingIsStable) {
  const auto x = normal_data(4096, 10);
  for (TensorType type : {TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K, TensorType::IQ4_NL}) {
    const auto y1 = dequantize(type, quantize(type, x), x.size());
    const auto y2 = dequantize(type, quantize(type, y1), x.size());
    EXPECT_LT(relative_rmse(y1, y2), 0.1 * relative_rmse(x, y1)) << type_name(type);
  }
}

TEST(RoundTrip, ZeroBlocksGivePositiveZeros) {
  for (const auto& c : kRoundTrips) {
    std::vector<float> x(512, 0.0f);
    const auto y = dequantize(c.type, quantize(c.type, x), x.size());
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_EQ(std::bit_cast<uint32_t>(y[i]), 0u) << type_name(c.type) << " " << i;
    }
  }
}

// A zero (sub-)block inside otherwise normal data decodes to exact zeros.
TEST(RoundTrip, ZeroSubBlocksStayZero) {
  for (const auto& c : kRoundTrips) {
    auto x = normal_data(512, 11);
    std::fill(x.begin() + 32, x.begin() + 64, 0.0f);     // a whole 32-block / sub-block
    std::fill(x.begin() + 256, x.begin() + 272, 0.0f);  // a q6_K sub-block of 16
    const auto y = dequantize(c.type, quantize(c.type, x), x.size());
    for (int i = 32; i < 64; ++i) ASSERT_EQ(y[i], 0.0f) << type_name(c.type) << " " << i;
    if (c.type == TensorType::Q6_K) {
      for (int i = 256; i < 272; ++i) ASSERT_EQ(y[i], 0.0f) << i;
    }
  }
}

TEST(RoundTrip, TinyValuesGiveFiniteOutput) {
  for (const auto& c : kRoundTrips) {
    for (float sigma : {1e-30f, 1e-9f, 1e-6f}) {
      const auto x = normal_data(512, 12, sigma);
      const auto y = dequantize(c.type, quantize(c.type, x), x.size());
      for (size_t i = 0; i < y.size(); ++i) {
        ASSERT_TRUE(std::isfinite(y[i])) << type_name(c.type) << " " << sigma;
        ASSERT_LE(std::fabs(y[i]), 2 * std::fabs(x[i]) + 1e-5f) << type_name(c.type) << " " << sigma;
      }
    }
  }
}

TEST(RoundTrip, NonFiniteAndOverflowingInputRejected) {
  for (const auto& c : kRoundTrips) {
    auto x = normal_data(256, 13);
    x[5] = std::numeric_limits<float>::quiet_NaN();
    const std::string nan_error = error_of([&] { quantize(c.type, x); });
    EXPECT_NE(nan_error.find(type_name(c.type)), std::string::npos) << nan_error;
    EXPECT_NE(nan_error.find("element 5"), std::string::npos) << nan_error;
    x[5] = -std::numeric_limits<float>::infinity();
    EXPECT_NE(error_of([&] { quantize(c.type, x); }), "");
    x[5] = 1e30f;  // every block scale would overflow f16
    const std::string big = error_of([&] { quantize(c.type, x); });
    EXPECT_NE(big.find("overflows f16"), std::string::npos) << type_name(c.type) << ": " << big;
    x[5] = 3e38f;  // near FLT_MAX: intermediate sums overflow
    EXPECT_NE(error_of([&] { quantize(c.type, x); }), "") << type_name(c.type);
  }
}

// ---- throughput (manual) ----------------------------------------------------------------------
// Run with --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'.
TEST(QuantThroughput, DISABLED_KQuants) {
  const size_t n = size_t{1} << 24;
  const auto x = normal_data(n, 14);
  for (TensorType type : {TensorType::Q6_K, TensorType::Q4_K, TensorType::Q5_K, TensorType::Q8_0,
                          TensorType::Q4_0, TensorType::IQ4_NL}) {
    std::vector<uint8_t> out(row_bytes(type, n));
    const auto start = std::chrono::steady_clock::now();
    quantize_row(type, x.data(), out.data(), static_cast<int64_t>(n));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("  %-7s quantize %.1f M values/s\n", type_name(type), static_cast<double>(n) / s / 1e6);
  }
}

}  // namespace
}  // namespace edgelm
