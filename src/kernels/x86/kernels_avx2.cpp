// AVX2 + FMA + F16C kernels: the vector interface for quant_kernels_x86.inc on 256-bit
// registers, one weight row per integer vector (tiles of 8 rows). Compiled with
// -mavx2 -mfma -mf16c (src/CMakeLists.txt); reached only through kernel_table().
#if defined(__x86_64__)
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/ops.h"
#include "kernels/quant_kernels.h"
#include "kernels/x86/kernels_x86_layout.h"
#include "kernels/x86/x86_kernels.h"

namespace edgelm::avx2 {
namespace {

struct Avx2 {
  using I = __m256i;
  using F = __m256;
  static constexpr int kTile = kTileRows;
  // Whether dot4 takes any u8 code (vpdpbusd) or only codes whose pair products fit
  // int16 (vpmaddubsw).
  static constexpr bool kFullRangeDot = false;
  static constexpr int kTokens = 4;  // tokens per pass over a tile (registers allow)
  static constexpr int row_a(int g) { return g; }
  static constexpr int row_b(int g) { return g; }  // one row per vector: unused

  static I zero() { return _mm256_setzero_si256(); }
  static I set1_8(int v) { return _mm256_set1_epi8(static_cast<char>(v)); }
  static I set1_32(int32_t v) { return _mm256_set1_epi32(v); }
  static I load_i32(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static I and_(I a, I b) { return _mm256_and_si256(a, b); }
  static I or_(I a, I b) { return _mm256_or_si256(a, b); }
  static I add32(I a, I b) { return _mm256_add_epi32(a, b); }
  static I mul32(I a, I b) { return _mm256_mullo_epi32(a, b); }
  static I shl16(I a, int n) { return _mm256_sll_epi16(a, _mm_cvtsi32_si128(n)); }
  static I shr16(I a, int n) { return _mm256_srl_epi16(a, _mm_cvtsi32_si128(n)); }
  static I shl32(I a, int n) { return _mm256_sll_epi32(a, _mm_cvtsi32_si128(n)); }
  static I shr32(I a, int n) { return _mm256_srl_epi32(a, _mm_cvtsi32_si128(n)); }
  static I sar32(I a, int n) { return _mm256_sra_epi32(a, _mm_cvtsi32_si128(n)); }

  // 16 signed bytes in each 128-bit lane, for lookup16.
  static I table16(const int8_t* t) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t)));
  }
  static I lookup16(I table, I idx) { return _mm256_shuffle_epi8(table, idx); }

  // 32 bytes of one row.
  static I load32(const uint8_t* a, const uint8_t*) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a)); }
  // 16 bytes of nibbles -> 32 codes: byte l's low nibble is element l, its high one l+16.
  static I nibbles16(const uint8_t* a, const uint8_t*) {
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a));
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0f));
  }
  // 32 bytes of nibbles -> the 32 low (or high) nibbles.
  static I nibbles32_lo(const uint8_t* a, const uint8_t* b) { return and_(load32(a, b), set1_8(0x0f)); }
  static I nibbles32_hi(const uint8_t* a, const uint8_t* b) {
    return and_(_mm256_srli_epi16(load32(a, b), 4), set1_8(0x0f));
  }

  // Four activation bytes broadcast to every lane.
  static I bcast4(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
  }
  // acc + Σ of each lane's four u8·s8 products. vpmaddubsw saturates pair sums at
  // int16: callers keep u <= 128 with |s| <= 127, so it never does.
  static I dot4(I acc, I u, I s) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
  }
  // init + Σ_w t[w] · a[4w..4w+3] for w in [w0, w0 + count), codes <= kMaxCode. As
  // many words as int16 holds without saturating (pair sums <= 2·kMaxCode·127) are
  // summed before widening: eight for 4-bit codes, two for 6-bit ones.
  template <int kMaxCode>
  static I dot_words(const I* t, const uint8_t* a, I init, int w0, int count) {
    constexpr int kFit = 32767 / (2 * kMaxCode * 127);
    constexpr int kGroup = kFit >= 8 ? 8 : kFit >= 4 ? 4 : kFit >= 2 ? 2 : 1;
    const int group = kGroup < count ? kGroup : count;
    I acc = init;
    for (int w = w0; w < w0 + count; w += group) {
      I m[8];
      for (int k = 0; k < group; ++k) m[k] = _mm256_maddubs_epi16(t[w + k], bcast4(a + 4 * (w + k)));
      for (int width = group; width > 1; width /= 2) {  // pairwise, for short dependency chains
        for (int k = 0; k < width / 2; ++k) m[k] = _mm256_add_epi16(m[2 * k], m[2 * k + 1]);
      }
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(m[0], _mm256_set1_epi16(1)));
    }
    return acc;
  }
  // Signed codes: |w| times the activation carrying w's sign.
  struct Signed {
    I abs, sign;
  };
  static Signed make_signed(I s) { return {_mm256_abs_epi8(s), s}; }
  static I dot4_signed(I acc, const Signed& w, I a) { return dot4(acc, w.abs, _mm256_sign_epi8(a, w.sign)); }

  // x[g] = row g's eight 32-bit words -> x[w] = word w of rows 0..7.
  static void transpose8(I x[8]) {
    I u[8];
    for (int p = 0; p < 8; p += 2) {
      u[p] = _mm256_unpacklo_epi32(x[p], x[p + 1]);      // per 128-bit lane: a0 b0 a1 b1
      u[p + 1] = _mm256_unpackhi_epi32(x[p], x[p + 1]);  // a2 b2 a3 b3
    }
    I w[8];  // w[m] (m < 4): word m of each 128-bit lane of rows 0..3; w[4 + m]: rows 4..7
    for (int q = 0; q < 2; ++q) {
      const I* v = u + 4 * q;
      w[4 * q + 0] = _mm256_unpacklo_epi64(v[0], v[2]);
      w[4 * q + 1] = _mm256_unpackhi_epi64(v[0], v[2]);
      w[4 * q + 2] = _mm256_unpacklo_epi64(v[1], v[3]);
      w[4 * q + 3] = _mm256_unpackhi_epi64(v[1], v[3]);
    }
    for (int m = 0; m < 4; ++m) {
      x[m] = _mm256_permute2x128_si256(w[m], w[4 + m], 0x20);
      x[4 + m] = _mm256_permute2x128_si256(w[m], w[4 + m], 0x31);
    }
  }

  static F fzero() { return _mm256_setzero_ps(); }
  static F set1(float v) { return _mm256_set1_ps(v); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }  // a·b + c, rounded once
  static F cvt(I v) { return _mm256_cvtepi32_ps(v); }

  // kTile·4 bytes (packed weights), and kTile f16 values as f32.
  static I load_bytes(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static F load_halves(const uint8_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static I gather32(const uint8_t* base, I offsets) {
    return _mm256_i32gather_epi32(reinterpret_cast<const int*>(base), offsets, 1);
  }
  // The f16 in the low (high) half of each 32-bit lane, as f32.
  static F half_lo(I v) {
    const I idx = _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1,  //
                                   0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1);
    const I packed = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(v, idx), 0x08);
    return _mm256_cvtph_ps(_mm256_castsi256_si128(packed));
  }
  static F half_hi(I v) { return half_lo(_mm256_srli_epi32(v, 16)); }

  // out[0..8) = gelu(gate) * up: the f16 rounding of gate (vcvtps2ph rounds to nearest
  // even like f32_to_f16) indexes the f32 GELU table; beyond +-10 GELU is x or 0.
  static constexpr int kFloats = 8;
  static void geglu_step(const float* gate, const float* up, float* out, const float* table) {
    const __m256 x = _mm256_loadu_ps(gate);
    const __m256i idx = _mm256_cvtepu16_epi32(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
    __m256 r = _mm256_i32gather_ps(table, idx, 4);
    r = _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, _mm256_set1_ps(10.0f), _CMP_GE_OQ));
    r = _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_set1_ps(-10.0f), _CMP_LE_OQ), r);
    _mm256_storeu_ps(out, _mm256_mul_ps(r, _mm256_loadu_ps(up)));
  }

  static void store(float* y, F v, int n) {
    if (n == kTile) {
      _mm256_storeu_ps(y, v);
    } else {
      const I mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
      _mm256_maskstore_ps(y, mask, v);
    }
  }
};

using Isa = Avx2;

}  // namespace

#include "kernels/x86/quant_kernels_x86.inc"

}  // namespace edgelm::avx2
#endif
