// AVX-512 (F, BW, VL) + VNNI kernels: the vector interface for quant_kernels_x86.inc on
// 512-bit registers, two weight rows per integer vector (one per 256-bit half; tiles of
// 16 rows), dot products with vpdpbusd. Compiled with -mavx512f -mavx512bw -mavx512vl
// -mavx512vnni (src/CMakeLists.txt); reached only through kernel_table().
#if defined(__x86_64__)
// GCC 12's AVX-512 headers initialise "undefined" vectors from themselves, which its
// own -Wmaybe-uninitialized then reports at every inlined use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/ops.h"
#include "kernels/quant_kernels.h"
#include "kernels/x86/kernels_x86_layout.h"
#include "kernels/x86/x86_kernels.h"

namespace edgelm::avx512 {
namespace {

struct Avx512 {
  using I = __m512i;
  using F = __m512;
  static constexpr int kTile = kTileRows;
  // Whether dot4 takes any u8 code (vpdpbusd) or only codes whose pair products fit
  // int16 (vpmaddubsw).
  static constexpr bool kFullRangeDot = true;
  static constexpr int kTokens = 8;  // tokens per pass over a tile (registers allow)
  // Vector group g holds rows row_a(g) (low half) and row_b(g) (high half); this
  // assignment makes transpose8's output lanes come out in row order.
  static constexpr int row_a(int g) { return g < 4 ? g : g + 4; }
  static constexpr int row_b(int g) { return row_a(g) + 4; }

  static I zero() { return _mm512_setzero_si512(); }
  static I set1_8(int v) { return _mm512_set1_epi8(static_cast<char>(v)); }
  static I set1_32(int32_t v) { return _mm512_set1_epi32(v); }
  static I load_i32(const int32_t* p) { return _mm512_loadu_si512(p); }
  static I and_(I a, I b) { return _mm512_and_si512(a, b); }
  static I or_(I a, I b) { return _mm512_or_si512(a, b); }
  static I add32(I a, I b) { return _mm512_add_epi32(a, b); }
  static I mul32(I a, I b) { return _mm512_mullo_epi32(a, b); }
  static I shl16(I a, int n) { return _mm512_sll_epi16(a, _mm_cvtsi32_si128(n)); }
  static I shr16(I a, int n) { return _mm512_srl_epi16(a, _mm_cvtsi32_si128(n)); }
  static I shl32(I a, int n) { return _mm512_sll_epi32(a, _mm_cvtsi32_si128(n)); }
  static I shr32(I a, int n) { return _mm512_srl_epi32(a, _mm_cvtsi32_si128(n)); }
  static I sar32(I a, int n) { return _mm512_sra_epi32(a, _mm_cvtsi32_si128(n)); }

  static I table16(const int8_t* t) {
    return _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t)));
  }
  static I lookup16(I table, I idx) { return _mm512_shuffle_epi8(table, idx); }

  static __m256i load256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static __m256i bcast128(const uint8_t* p) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static I halves(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }

  // 32 bytes of row a, then 32 of row b.
  static I load32(const uint8_t* a, const uint8_t* b) { return halves(load256(a), load256(b)); }
  // 16 bytes of nibbles per row -> 32 codes per row (low nibbles = elements 0..15):
  // each row's bytes in two 128-bit lanes, the second shifted right by four.
  static I nibbles16(const uint8_t* a, const uint8_t* b) {
    const I shift = _mm512_set_epi64(0x0004000400040004, 0x0004000400040004, 0, 0,  //
                                     0x0004000400040004, 0x0004000400040004, 0, 0);
    return and_(_mm512_srlv_epi16(halves(bcast128(a), bcast128(b)), shift), set1_8(0x0f));
  }
  static I nibbles32_lo(const uint8_t* a, const uint8_t* b) { return and_(load32(a, b), set1_8(0x0f)); }
  static I nibbles32_hi(const uint8_t* a, const uint8_t* b) {
    return and_(_mm512_srli_epi16(load32(a, b), 4), set1_8(0x0f));
  }

  static I bcast4(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
  }
  static I dot4(I acc, I u, I s) { return _mm512_dpbusd_epi32(acc, u, s); }
  // init + Σ_w t[w] · a[4w..4w+3] for w in [w0, w0 + count): two chains of vpdpbusd.
  template <int kMaxCode>
  static I dot_words(const I* t, const uint8_t* a, I init, int w0, int count) {
    I c0 = init, c1 = zero();
    for (int w = w0; w < w0 + count; w += 2) {
      c0 = _mm512_dpbusd_epi32(c0, t[w], bcast4(a + 4 * w));
      c1 = _mm512_dpbusd_epi32(c1, t[w + 1], bcast4(a + 4 * (w + 1)));
    }
    return add32(c0, c1);
  }
  // Signed codes: |w| (as unsigned) times the activation negated where w < 0.
  struct Signed {
    I abs;
    __mmask64 negative;
  };
  static Signed make_signed(I s) { return {_mm512_abs_epi8(s), _mm512_movepi8_mask(s)}; }
  static I dot4_signed(I acc, const Signed& w, I a) {
    return _mm512_dpbusd_epi32(acc, w.abs, _mm512_mask_sub_epi8(a, w.negative, _mm512_setzero_si512(), a));
  }

  // x[g] = words 0..7 of row_a(g) then of row_b(g) -> x[w] = word w of rows 0..15.
  static void transpose8(I x[8]) {
    I u[8];
    for (int p = 0; p < 8; p += 2) {
      u[p] = _mm512_unpacklo_epi32(x[p], x[p + 1]);
      u[p + 1] = _mm512_unpackhi_epi32(x[p], x[p + 1]);
    }
    // w[4q + m]: per 128-bit lane k, word m of that lane for groups 4q..4q+3.
    I w[8];
    for (int q = 0; q < 2; ++q) {
      const I* v = u + 4 * q;
      w[4 * q + 0] = _mm512_unpacklo_epi64(v[0], v[2]);
      w[4 * q + 1] = _mm512_unpackhi_epi64(v[0], v[2]);
      w[4 * q + 2] = _mm512_unpacklo_epi64(v[1], v[3]);
      w[4 * q + 3] = _mm512_unpackhi_epi64(v[1], v[3]);
    }
    // Lanes 0/1 of each group hold row a's words 0-3/4-7, lanes 2/3 row b's. Word
    // 4c + m gathers lanes c and 2 + c of groups 0..3, then of groups 4..7.
    for (int m = 0; m < 4; ++m) {
      x[m] = _mm512_shuffle_i32x4(w[m], w[4 + m], 0x88);
      x[4 + m] = _mm512_shuffle_i32x4(w[m], w[4 + m], 0xdd);
    }
  }

  static F fzero() { return _mm512_setzero_ps(); }
  static F set1(float v) { return _mm512_set1_ps(v); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F cvt(I v) { return _mm512_cvtepi32_ps(v); }

  // kTile·4 bytes (packed weights), and kTile f16 values as f32.
  static I load_bytes(const uint8_t* p) { return _mm512_loadu_si512(p); }
  static F load_halves(const uint8_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static I gather32(const uint8_t* base, I offsets) { return _mm512_i32gather_epi32(offsets, base, 1); }
  static F half_lo(I v) { return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(v)); }
  static F half_hi(I v) { return half_lo(_mm512_srli_epi32(v, 16)); }

  // As Avx2::geglu_step, 16 at a time.
  static constexpr int kFloats = 16;
  static void geglu_step(const float* gate, const float* up, float* out, const float* table) {
    const __m512 x = _mm512_loadu_ps(gate);
    const __m512i idx = _mm512_cvtepu16_epi32(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
    __m512 r = _mm512_i32gather_ps(idx, table, 4);
    r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(10.0f), _CMP_GE_OQ), r, x);
    r = _mm512_maskz_mov_ps(static_cast<__mmask16>(~_mm512_cmp_ps_mask(x, _mm512_set1_ps(-10.0f), _CMP_LE_OQ)), r);
    _mm512_storeu_ps(out, _mm512_mul_ps(r, _mm512_loadu_ps(up)));
  }

  static void store(float* y, F v, int n) {
    _mm512_mask_storeu_ps(y, static_cast<__mmask16>(n >= kTile ? 0xffff : (1u << n) - 1), v);
  }
};

using Isa = Avx512;

}  // namespace

#include "kernels/x86/quant_kernels_x86.inc"

}  // namespace edgelm::avx512
#endif
