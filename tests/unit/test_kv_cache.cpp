// The KV cache on its own: storage types (round trips, the attention op reading every
// type against a from-scratch reference), cell bookkeeping (rings, appends, eviction
// and compaction, truncation), the SIMD f16 kernels against llama.cpp-order references,
// and memory that is committed only as the context fills.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "kernels/activations.h"
#include "kernels/float_dot.h"
#include "quant/dequantize.h"
#include "runtime/attention.h"
#include "runtime/attention_simd.h"
#include "runtime/kv_cache.h"
#include "runtime/kv_types.h"
#include "runtime/thread_pool.h"
#include "util/error.h"
#include "util/half.h"
#include "util/memory_stats.h"

namespace edgelm {
namespace {

constexpr TensorType kKvTypes[] = {TensorType::F16, TensorType::BF16, TensorType::Q8_0, TensorType::Q4_0};

std::vector<float> random_row(std::mt19937& rng, size_t n, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Largest error a type's rounding may make on a block's elements.
double rounding_bound(TensorType type, const float* block, int n) {
  double amax = 0.0;
  for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(static_cast<double>(block[i])));
  switch (type) {
    case TensorType::F16: return amax * std::ldexp(1.0, -11);
    case TensorType::BF16: return amax * std::ldexp(1.0, -8);
    // q8_0: steps of amax/127 (scale stored in f16: 2^-11 relative more).
    case TensorType::Q8_0: return amax / 127.0 * (0.5 + 127.0 * std::ldexp(1.0, -11));
    // q4_0: steps of amax/8, and the extreme opposite the scale's sign clips to 7 steps.
    case TensorType::Q4_0: return amax / 8.0 * (1.0 + 8.0 * std::ldexp(1.0, -11));
    default: return 0.0;
  }
}

TEST(KvTypes, NamesParseAndOthersAreRefused) {
  EXPECT_EQ(parse_kv_type("f16"), TensorType::F16);
  EXPECT_EQ(parse_kv_type("BF16"), TensorType::BF16);
  EXPECT_EQ(parse_kv_type("q8_0"), TensorType::Q8_0);
  EXPECT_EQ(parse_kv_type("q4_0"), TensorType::Q4_0);
  EXPECT_THROW(parse_kv_type("q4_k"), Error);
  EXPECT_THROW(parse_kv_type("f32"), Error);
  EXPECT_THROW(kv_row_bytes(TensorType::Q8_0, 48), Error);  // not a multiple of 32
  EXPECT_EQ(kv_row_bytes(TensorType::F16, 512), 1024u);
  EXPECT_EQ(kv_row_bytes(TensorType::Q8_0, 512), 16u * 34);
  EXPECT_EQ(kv_row_bytes(TensorType::Q4_0, 512), 16u * 18);
}

TEST(KvTypes, RowsRoundTripWithinTheTypesRounding) {
  std::mt19937 rng(7);
  for (TensorType type : kKvTypes) {
    for (int trial = 0; trial < 20; ++trial) {
      const std::vector<float> x = random_row(rng, 256, trial % 2 ? 0.01f : 3.0f);
      std::vector<uint8_t> row(kv_row_bytes(type, 256));
      std::vector<float> back(256);
      store_kv_row(type, x.data(), row.data(), 256);
      load_kv_row(type, row.data(), back.data(), 256);
      for (int b = 0; b < 256; b += 32) {
        const double bound = rounding_bound(type, x.data() + b, 32);
        for (int i = b; i < b + 32; ++i) {
          // f16/bf16 round each element relative to itself: check that tighter bound too
          // (f16 below 2^-14 is subnormal: steps of 2^-24).
          const double own = type == TensorType::F16    ? std::max(std::fabs(x[i]) * std::ldexp(1.0, -11), std::ldexp(1.0, -25))
                             : type == TensorType::BF16 ? std::fabs(x[i]) * std::ldexp(1.0, -8)
                                                        : bound;
          ASSERT_LE(std::fabs(back[i] - x[i]), std::min(bound, own) + 1e-30) << type_name(type) << " element " << i;
        }
      }
    }
  }
}

// One ring layer (2 KV heads, window 4, 8 cells) and one full layer (1 KV head).
struct SmallCache {
  static constexpr uint32_t kHeadDim = 32;
  LayerKvSpec ring{true, true, 2, kHeadDim, 8, 4};
  LayerKvSpec full{true, false, 1, kHeadDim, 64, 0};

  // Row contents that identify (layer, position, head, K/V); exact in f16 for positions
  // below 64 (f16 has steps of 1/8 below 256).
  static std::vector<float> row_of(uint32_t layer, uint32_t pos, uint32_t h, bool value) {
    std::vector<float> r(kHeadDim);
    for (uint32_t e = 0; e < kHeadDim; ++e) r[e] = static_cast<float>(layer * 100 + pos + h * 0.25 + value * 0.125 + e);
    return r;
  }
  static void append(KvCache& cache, uint32_t n) {
    const uint32_t p0 = cache.n_past();
    cache.begin_ubatch(n);
    for (uint32_t l = 0; l < cache.n_layers(); ++l) {
      if (!cache.spec(l).owns) continue;
      for (uint32_t t = 0; t < n; ++t) {
        for (uint32_t h = 0; h < cache.spec(l).n_kv_heads; ++h) {
          cache.store(l, t, h, row_of(l, p0 + t, h, false).data(), row_of(l, p0 + t, h, true).data());
        }
      }
    }
    cache.end_ubatch();
  }
  // Every occupied cell holds the rows written for its position.
  static void expect_rows_match_positions(const KvCache& cache, uint32_t layer) {
    const auto pos = cache.cell_positions(layer);
    std::vector<float> k(kHeadDim), v(kHeadDim);
    for (uint32_t c = 0; c < pos.size(); ++c) {
      if (pos[c] == KvCache::kNoPosition) continue;
      for (uint32_t h = 0; h < cache.spec(layer).n_kv_heads; ++h) {
        load_kv_row(cache.k_type(), cache.key(layer, c, h), k.data(), kHeadDim);
        load_kv_row(cache.v_type(), cache.value(layer, c, h), v.data(), kHeadDim);
        EXPECT_EQ(k[0], row_of(layer, pos[c], h, false)[0]) << "layer " << layer << " cell " << c;
        EXPECT_EQ(v[0], row_of(layer, pos[c], h, true)[0]) << "layer " << layer << " cell " << c;
      }
    }
  }
};

TEST(KvCache, RingsWrapByPositionAndFullLayersAppend) {
  SmallCache s;
  KvCache cache({s.ring, s.full, LayerKvSpec{}}, 64, 4);
  SmallCache::append(cache, 4);
  SmallCache::append(cache, 4);
  SmallCache::append(cache, 3);  // positions 0..10: the ring wrapped
  EXPECT_EQ(cache.n_past(), 11u);
  const auto ring = cache.cell_positions(0);
  for (uint32_t c = 0; c < 8; ++c) EXPECT_EQ(ring[c], c < 3 ? c + 8 : c) << c;
  EXPECT_EQ(cache.n_used(1), 11u);
  for (uint32_t c = 0; c < 11; ++c) EXPECT_EQ(cache.cell_positions(1)[c], c);
  SmallCache::expect_rows_match_positions(cache, 0);
  SmallCache::expect_rows_match_positions(cache, 1);
  EXPECT_TRUE(cache.cell_positions(2).empty());  // a layer without KV stores nothing
  EXPECT_EQ(cache.span(1), 64u);                 // 11 used, rounded up to 256, within 64
}

// Ring: 8 cells for a window of 4. After 20 positions it holds 12..19; continuing at
// position n needs n-3..n-1, so n >= 15.
TEST(KvCache, RingBuffersBoundHowFarBackTheSequenceCanGo) {
  SmallCache s;
  KvCache cache({s.ring, s.full}, 64, 4);
  for (int i = 0; i < 6; ++i) SmallCache::append(cache, 1);
  for (uint32_t n = 0; n <= 6; ++n) EXPECT_TRUE(cache.can_truncate(n)) << n;
  EXPECT_FALSE(cache.can_truncate(7));
  for (int i = 0; i < 14; ++i) SmallCache::append(cache, 1);
  EXPECT_TRUE(cache.can_truncate(20));
  EXPECT_TRUE(cache.can_truncate(15));
  EXPECT_FALSE(cache.can_truncate(14));
  EXPECT_FALSE(cache.can_truncate(5));
  EXPECT_TRUE(cache.can_truncate(0));
  EXPECT_THROW(cache.truncate(14), Error);
  cache.truncate(15);
  EXPECT_EQ(cache.n_past(), 15u);
  EXPECT_EQ(cache.n_used(1), 15u);
  for (uint32_t p : cache.cell_positions(0)) EXPECT_TRUE(p == KvCache::kNoPosition || p < 15) << p;
  SmallCache::append(cache, 2);
  SmallCache::expect_rows_match_positions(cache, 0);
  SmallCache::expect_rows_match_positions(cache, 1);
}

TEST(KvCache, WithoutAPolicyTheContextIsAHardLimit) {
  SmallCache s;
  KvCache cache({s.ring, s.full}, 10, 4);
  SmallCache::append(cache, 4);
  SmallCache::append(cache, 4);
  EXPECT_THROW(cache.check_room(3), Error);
  try {
    cache.begin_ubatch(3);
    FAIL() << "no error past the context";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("context full"), std::string::npos) << e.what();
  }
  SmallCache::append(cache, 2);  // exactly full is fine
  EXPECT_EQ(cache.n_past(), 10u);
}

TEST(KvCache, ConfigureChecksTypesHeadDimsAndTiming) {
  SmallCache s;
  KvCache cache({s.ring, s.full}, 64, 4);
  KvCacheOptions o;
  o.k_type = TensorType::Q4_K;
  EXPECT_THROW(cache.configure(o), Error);
  o.k_type = TensorType::Q8_0;
  o.v_type = TensorType::Q4_0;
  cache.configure(o);
  EXPECT_EQ(cache.k_row_bytes(1), 34u);
  EXPECT_EQ(cache.v_row_bytes(1), 18u);
  SmallCache::append(cache, 1);
  EXPECT_THROW(cache.configure(KvCacheOptions{}), Error);  // something is stored
  LayerKvSpec odd{true, false, 1, 48, 64, 0};
  KvCache odd_cache({odd}, 64, 4);
  EXPECT_THROW(odd_cache.configure(o), Error);  // 48 is not a multiple of 32
}

// Eviction removes exactly the chosen cells, and compaction moves every kept cell's
// rows with its position: positions stay increasing and absolute.
TEST(KvCache, EvictionCompactsCellsKeepingRowsWithTheirPositions) {
  SmallCache s;
  s.full.max_positions = 32;
  KvCache cache({s.ring, s.full}, 32, 4);
  KvCacheOptions o;
  o.policy.policy = KvPolicy::window;
  o.policy.sinks = 2;
  cache.configure(o);
  const KvPolicyPlan& plan = cache.policy();
  EXPECT_EQ(plan.sinks, 2u);
  EXPECT_EQ(plan.recent, 4u);  // 12.5% of 32
  EXPECT_EQ(plan.chunk, 4u);   // 10% of 32, rounded up
  for (int i = 0; i < 8; ++i) SmallCache::append(cache, 4);  // 32 positions: full
  EXPECT_EQ(cache.evictions(), 0u);
  SmallCache::append(cache, 3);  // needs 3 cells: a chunk of 4 goes, the oldest after the sinks
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_EQ(cache.evicted_cells(), 4u);
  EXPECT_EQ(cache.n_past(), 35u);
  EXPECT_EQ(cache.n_used(1), 31u);
  std::vector<uint32_t> expected = {0, 1};
  for (uint32_t p = 6; p < 35; ++p) expected.push_back(p);
  const auto pos = cache.cell_positions(1);
  EXPECT_EQ(std::vector<uint32_t>(pos.begin(), pos.end()), expected);
  SmallCache::expect_rows_match_positions(cache, 1);
  SmallCache::expect_rows_match_positions(cache, 0);  // rings are never evicted from

  // Cutting back after an eviction keeps the cells below the cut.
  ASSERT_TRUE(cache.can_truncate(30));
  cache.truncate(30);
  EXPECT_EQ(cache.n_used(1), 26u);
  EXPECT_EQ(cache.cell_positions(1).back(), 29u);
  SmallCache::append(cache, 2);
  SmallCache::expect_rows_match_positions(cache, 1);
}

// The attention op over every K/V type against a from-scratch computation from the
// cache's own (dequantized) rows: positions, windows, GQA head sharing and the cells
// visible after evictions all have to line up.
TEST(KvCache, AttentionReadsEveryTypeAsTheReferenceDoes) {
  constexpr uint32_t kHd = 64, kHeads = 4, kKv = 2;
  std::mt19937 rng(11);
  ThreadPool pool(2);
  for (TensorType kt : kKvTypes) {
    for (TensorType vt : {TensorType::F16, TensorType::Q8_0, TensorType::Q4_0, TensorType::BF16}) {
      for (const bool ring : {false, true}) {
        // 60 positions: into 48 cells of a full layer that evicts, or a ring of 16.
        const LayerKvSpec spec{true, ring, kKv, kHd, ring ? 16u : 48u, ring ? 6u : 0u};
        KvCache cache({spec}, ring ? 64 : 48, 4);
        KvCacheOptions o;
        o.k_type = kt;
        o.v_type = vt;
        o.policy.policy = ring ? KvPolicy::none : KvPolicy::window;
        o.policy.sinks = 3;
        cache.configure(o);
        for (uint32_t step = 0; step < 15; ++step) {
          cache.begin_ubatch(4);
          for (uint32_t t = 0; t < 4; ++t) {
            for (uint32_t h = 0; h < kKv; ++h) {
              const auto k = random_row(rng, kHd, 0.3f), v = random_row(rng, kHd);
              cache.store(0, t, h, k.data(), v.data());
            }
          }
          if (step + 1 < 15) cache.end_ubatch();
        }
        const uint32_t p0 = cache.n_past(), n = 4;
        const std::vector<float> q = random_row(rng, n * kHeads * kHd, 0.3f);
        AttentionShape shape{kHeads, kKv, kHd, ring ? 6u : 0u, 0.5f};
        std::vector<float> out(q.size());
        attention(q.data(), n, p0, shape, cache, 0, pool, out.data());

        // Reference: double sums over the visible cells' dequantized rows, with q rounded
        // as the key type multiplies it.
        const auto pos = cache.cell_positions(0);
        std::vector<float> qr(kHd), k(kHd), v(kHd);
        for (uint32_t t = 0; t < n; ++t) {
          const uint32_t p = p0 + t;
          for (uint32_t i = 0; i < kHeads; ++i) {
            const uint32_t j = i / (kHeads / kKv);
            const float* qi = q.data() + (t * kHeads + i) * kHd;
            if (kt == TensorType::F16 || kt == TensorType::BF16) {
              std::vector<uint8_t> b(kv_row_bytes(kt, kHd));
              store_kv_row(kt, qi, b.data(), kHd);
              load_kv_row(kt, b.data(), qr.data(), kHd);
            } else {
              std::vector<uint8_t> b(activation_bytes(TensorType::Q8_0, kHd));
              quantize_activations(TensorType::Q8_0, qi, b.data(), kHd);
              dequantize_row(TensorType::Q8_0, b.data(), qr.data(), kHd);
            }
            std::vector<double> s;
            std::vector<uint32_t> cells;
            for (uint32_t c = 0; c < pos.size(); ++c) {
              if (pos[c] == KvCache::kNoPosition || pos[c] > p || (shape.window && p - pos[c] >= shape.window)) continue;
              load_kv_row(kt, cache.key(0, c, j), k.data(), kHd);
              double dot = 0.0;
              for (uint32_t e = 0; e < kHd; ++e) dot += static_cast<double>(qr[e]) * k[e];
              s.push_back(dot * shape.scale);
              cells.push_back(c);
            }
            ASSERT_FALSE(cells.empty());
            const double mx = *std::max_element(s.begin(), s.end());
            double sum = 0.0;
            for (double& x : s) sum += (x = std::exp(x - mx));
            for (uint32_t e = 0; e < kHd; ++e) {
              double o_ref = 0.0;
              for (size_t c = 0; c < cells.size(); ++c) {
                load_kv_row(vt, cache.value(0, cells[c], j), v.data(), kHd);
                o_ref += s[c] / sum * v[e];
              }
              // f16 probabilities (f16 V) are the largest rounding: 2^-11 relative.
              ASSERT_NEAR(out[(t * kHeads + i) * kHd + e], o_ref, 3e-3)
                  << type_name(kt) << "/" << type_name(vt) << (ring ? " ring" : " full") << " t" << t << " head "
                  << i << " dim " << e;
            }
          }
        }
        cache.end_ubatch();
      }
    }
  }
}

// A single visible cell: the output is that cell's value row exactly (p = 1).
TEST(KvCache, OneVisibleCellGivesItsValueRowExactly) {
  constexpr uint32_t kHd = 64;
  std::mt19937 rng(5);
  ThreadPool pool(1);
  for (TensorType vt : kKvTypes) {
    KvCache cache({LayerKvSpec{true, false, 1, kHd, 8, 0}}, 8, 1);
    KvCacheOptions o;
    o.v_type = vt;
    cache.configure(o);
    const auto k = random_row(rng, kHd), v = random_row(rng, kHd), q = random_row(rng, kHd);
    cache.begin_ubatch(1);
    cache.store(0, 0, 0, k.data(), v.data());
    std::vector<float> out(kHd), expected(kHd);
    attention(q.data(), 1, 0, AttentionShape{1, 1, kHd, 0, 1.0f}, cache, 0, pool, out.data());
    load_kv_row(vt, cache.value(0, 0, 0), expected.data(), kHd);
    EXPECT_EQ(out, expected) << type_name(vt);
  }
}

// The SIMD f16 kernels equal llama.cpp-order references bit for bit (cells with gaps,
// spans whose last cells fall outside the 4·W lanes and are added in double).
TEST(KvCache, SimdF16KernelsEqualTheReferenceOrders) {
  std::mt19937 rng(3);
  for (int64_t hd : {64, 128, 256, 512}) {
    if (!simd_f16_available(hd)) GTEST_SKIP() << "no SIMD f16 kernels on this CPU level";
    const uint32_t n_cells = 300;
    std::vector<uint16_t> rows(n_cells * hd);
    for (auto& h : rows) h = f32_to_f16(std::normal_distribution<float>(0.0f, 1.0f)(rng));
    const auto* base = reinterpret_cast<const uint8_t*>(rows.data());
    for (const uint32_t span : {256u, 300u, 200u}) {
      std::vector<uint32_t> cells;
      for (uint32_t c = 0; c < n_cells; ++c) {
        if (rng() % 5 != 0) cells.push_back(c);
      }
      const auto count = static_cast<uint32_t>(cells.size());
      for (int n_q : {1, 3, 8}) {
        std::vector<float> q(n_q * hd);
        std::vector<uint16_t> q16(q.size());
        for (size_t i = 0; i < q.size(); ++i) {
          q16[i] = f32_to_f16(std::normal_distribution<float>(0.0f, 0.5f)(rng));
          q[i] = f16_to_f32(q16[i]);
        }
        std::vector<float> scores(n_q * count);
        simd_f16_key_scores(base, hd * 2, cells.data(), count, q.data(), n_q, hd, scores.data());
        for (int h = 0; h < n_q; ++h) {
          for (uint32_t i = 0; i < count; ++i) {
            const float ref = dot_f16_ordered(FloatDotOrder::kVector, base + cells[i] * hd * 2, q16.data() + h * hd, hd);
            ASSERT_EQ(scores[h * count + i], ref) << "hd " << hd << " cell " << cells[i];
          }
        }
        std::vector<float> p(n_q * count);
        // Probabilities of every size, f16 subnormals included.
        for (float& x : p) x = std::pow(10.0f, std::uniform_real_distribution<float>(-9.0f, -1.0f)(rng));
        std::vector<float> out(n_q * hd), scratch;
        simd_f16_weighted_values(base, hd * 2, cells.data(), count, p.data(), n_q, span, hd, out.data(), scratch);
        std::vector<const uint16_t*> row_ptrs(count);
        for (uint32_t i = 0; i < count; ++i) row_ptrs[i] = rows.data() + cells[i] * hd;
        for (int h = 0; h < n_q; ++h) {
          std::vector<uint16_t> p16(count);
          for (uint32_t i = 0; i < count; ++i) p16[i] = f32_to_f16(p[h * count + i]);
          std::vector<float> ref(hd);
          f16_weighted_cells(cells.data(), p16.data(), row_ptrs.data(), count, span, hd, ref.data());
          for (int64_t e = 0; e < hd; ++e) ASSERT_EQ(out[h * hd + e], ref[e]) << "hd " << hd << " span " << span << " dim " << e;
        }
      }
    }
  }
}

// E2B's KV layout at 131072 tokens reserves the whole context as address space but
// commits memory only for what is stored.
TEST(KvCache, MemoryIsCommittedAsTheContextFills) {
  std::vector<LayerKvSpec> layers;
  for (uint32_t l = 0; l < 35; ++l) {
    const bool sliding = l % 5 != 4;
    if (l >= 15) {
      layers.push_back(LayerKvSpec{});
    } else if (sliding) {
      layers.push_back(LayerKvSpec{true, true, 1, 256, 1024, 512});
    } else {
      layers.push_back(LayerKvSpec{true, false, 1, 512, 131072, 0});
    }
  }
  KvCache cache(layers, 131072, 512);
  EXPECT_EQ(cache.full_bytes().full, 768ull << 20);  // 3 layers x 131072 x 512 x 2 (K, V) x 2 bytes
  const uint64_t rss_before = current_rss_bytes();
  cache.begin_ubatch(16);
  std::vector<float> row(512, 1.0f);
  for (uint32_t l = 0; l < 15; ++l) {
    for (uint32_t t = 0; t < 16; ++t) cache.store(l, t, 0, row.data(), row.data());
  }
  cache.end_ubatch();
  const uint64_t rss_after = current_rss_bytes();
  // 16 positions x 1 KiB per K or V row: one 16 KiB stretch per buffer.
  EXPECT_LE(cache.allocated_bytes().full, 3u * 2 * 16 * 1024);
  EXPECT_LE(cache.allocated_bytes().sliding, 12u * 2 * 16 * 512 + 12u * 2 * 4096);
  if (rss_before > 0 && rss_after > 0) {
    EXPECT_LT(rss_after - std::min(rss_after, rss_before), 32ull << 20);
  }
  cache.truncate(0);
  EXPECT_EQ(cache.allocated_bytes().full, 0u);
}

}  // namespace
}  // namespace edgelm
