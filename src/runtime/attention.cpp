#include "runtime/attention.h"

#include <algorithm>
#include <atomic>
#include <numeric>
#include <vector>

#include "kernels/ops.h"
#include "runtime/attention_kernels.h"
#include "runtime/attention_simd.h"
#include "runtime/kv_cache.h"
#include "runtime/thread_pool.h"

namespace edgelm {
namespace {

// The cells each token of the micro-batch sees, ascending: token t's are
// cells[offset[t] .. offset[t] + count[t]).
struct VisibleCells {
  std::vector<uint32_t> cells;
  std::vector<uint64_t> offset;
  std::vector<uint32_t> count;
};

// A full layer keeps its cells in position order, so a token sees one run of them,
// found by binary search (the runs of all tokens share one index list). A ring is
// scanned: its cells hold positions in rotation and may hold stale ones.
// With `whole_batch` a token also sees the later positions of its micro-batch (the
// window still counts back from its own position).
void find_visible(const KvCache& cache, uint32_t layer, uint32_t p0, int64_t n, uint32_t window, bool whole_batch,
                  VisibleCells& v) {
  const uint32_t batch_last = p0 + static_cast<uint32_t>(n) - 1;
  const std::span<const uint32_t> pos = cache.cell_positions(layer);
  v.offset.resize(static_cast<size_t>(n));
  v.count.resize(static_cast<size_t>(n));
  if (!cache.spec(layer).ring) {
    const uint32_t used = cache.n_used(layer);
    if (v.cells.size() != used || (used > 0 && v.cells.back() != used - 1)) {
      v.cells.resize(used);
      std::iota(v.cells.begin(), v.cells.end(), 0u);
    }
    for (int64_t t = 0; t < n; ++t) {
      const uint32_t p = p0 + static_cast<uint32_t>(t);
      const uint32_t first = window > 0 && p + 1 > window ? p + 1 - window : 0;
      const auto lo = std::lower_bound(pos.begin(), pos.begin() + used, first);
      const auto hi = std::upper_bound(lo, pos.begin() + used, whole_batch ? batch_last : p);
      v.offset[t] = static_cast<uint64_t>(lo - pos.begin());
      v.count[t] = static_cast<uint32_t>(hi - lo);
    }
    return;
  }
  v.cells.clear();
  for (int64_t t = 0; t < n; ++t) {
    const uint32_t p = p0 + static_cast<uint32_t>(t);
    const uint32_t first = window > 0 && p + 1 > window ? p + 1 - window : 0;
    v.offset[t] = v.cells.size();
    for (uint32_t c = 0; c < pos.size(); ++c) {
      const uint32_t last = whole_batch ? batch_last : p;
      if (pos[c] != KvCache::kNoPosition && pos[c] >= first && pos[c] <= last) v.cells.push_back(c);
    }
    v.count[t] = static_cast<uint32_t>(v.cells.size() - v.offset[t]);
  }
}

struct ThreadScratch {
  PreparedQueries q;
  std::vector<float> probs, scratch;
  std::vector<float> score_sums;  // this thread's additions to the cells' attention scores
};

}  // namespace

void attention(const float* q, int64_t n, uint32_t p0, const AttentionShape& shape, KvCache& cache,
               uint32_t kv_layer, ThreadPool& pool, float* out) {
  const int64_t H = shape.n_head, hd = shape.head_dim, KV = shape.n_head_kv, group = H / KV;
  thread_local VisibleCells visible_cells;
  const VisibleCells& visible = visible_cells;  // the caller's, shared with the workers
  find_visible(cache, kv_layer, p0, n, shape.window, shape.see_whole_batch, visible_cells);
  const uint32_t span = cache.span(kv_layer);
  float* scores = cache.scores(kv_layer);
  const uint32_t n_cells = static_cast<uint32_t>(cache.cell_positions(kv_layer).size());

  // Work items: a token's heads sharing one KV head, split further when there are
  // fewer such groups than threads (decoding one token with one KV head).
  const int64_t threads = pool.size();
  const int64_t splits = std::clamp<int64_t>((threads + n * KV - 1) / (n * KV), 1, group);
  const int64_t items = n * KV * splits;
  std::vector<const std::vector<float>*> score_sums(static_cast<size_t>(threads), nullptr);
  std::atomic<int64_t> next{0};

  pool.run([&](int tid) {
    thread_local ThreadScratch s;  // kept between calls: a long context needs megabytes
    if (scores != nullptr) {
      s.score_sums.assign(n_cells, 0.0f);
      score_sums[static_cast<size_t>(tid)] = &s.score_sums;
    }
    for (int64_t item; (item = next.fetch_add(1, std::memory_order_relaxed)) < items;) {
      const int64_t t = item / (KV * splits), j = item / splits % KV, part = item % splits;
      const int64_t h0 = j * group + part * group / splits, h1 = j * group + (part + 1) * group / splits;
      const int n_q = static_cast<int>(h1 - h0);
      const uint32_t* cells = visible.cells.data() + visible.offset[t];
      const uint32_t count = visible.count[t];

      prepare_queries(cache.k_type(), q + (t * H + h0) * hd, n_q, hd, s.q);
      if (s.probs.size() < static_cast<size_t>(n_q) * count) s.probs.resize(static_cast<size_t>(n_q) * count);
      float* p = s.probs.data();
      const KvRows keys{cache.k_type(), cache.key(kv_layer, 0, static_cast<uint32_t>(j)), cache.k_row_bytes(kv_layer)};
      key_scores(keys, cells, count, s.q, p, s.scratch);
      for (int h = 0; h < n_q; ++h) {
        float* ph = p + static_cast<int64_t>(h) * count;
        if (shape.scale != 1.0f) {
          for (uint32_t i = 0; i < count; ++i) ph[i] *= shape.scale;
        }
        softmax(ph, count);
      }
      if (scores != nullptr) {
        const float w = cache.score_weight(static_cast<uint32_t>(t));
        for (int h = 0; h < n_q; ++h) {
          const float* ph = p + static_cast<int64_t>(h) * count;
          for (uint32_t i = 0; i < count; ++i) s.score_sums[cells[i]] += w * ph[i];
        }
      }
      const KvRows values{cache.v_type(), cache.value(kv_layer, 0, static_cast<uint32_t>(j)),
                          cache.v_row_bytes(kv_layer)};
      weighted_values(values, cells, count, p, n_q, span, hd, out + (t * H + h0) * hd, s.scratch);
    }
  });

  if (scores != nullptr) {
    for (const std::vector<float>* sums : score_sums) {
      if (sums == nullptr) continue;
      for (uint32_t c = 0; c < n_cells; ++c) scores[c] += (*sums)[c];
    }
  }
}

uint64_t attention_scratch_bytes(const KvCache& cache, uint32_t n_ubatch, int threads, uint32_t group) {
  const uint64_t n = std::min(n_ubatch, cache.max_ubatch());
  uint64_t widest = 0, ring_cells = 0, window = 0;
  for (uint32_t l = 0; l < cache.n_layers(); ++l) {
    const LayerKvSpec& s = cache.spec(l);
    if (!s.owns) continue;
    widest = std::max<uint64_t>(widest, s.ring ? s.window : cache.n_ctx());
    if (s.ring) {
      ring_cells = std::max<uint64_t>(ring_cells, cache.cell_capacity(l));
      window = std::max<uint64_t>(window, s.window);
    }
  }
  // Per thread: a group's probabilities over the widest visible span, their f16 copy
  // and the V accumulators, and with the attention policy the thread's score sums.
  const bool scored = cache.policy().policy == KvPolicy::attention;
  const uint64_t per_thread = 2 * group * widest + simd_f16_values_scratch(static_cast<int>(group), 16) +
                              (scored ? cache.n_ctx() : 0);
  // The calling thread's visible-cell lists: a full layer's cell indices, or each
  // token's ring cells.
  const uint64_t lists = std::max<uint64_t>(cache.n_ctx(), n * std::min(ring_cells, window)) * sizeof(uint32_t) +
                         n * (sizeof(uint64_t) + sizeof(uint32_t));
  return static_cast<uint64_t>(threads) * per_thread * sizeof(float) + lists;
}

}  // namespace edgelm
