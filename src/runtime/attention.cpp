#include "runtime/attention.h"

#include <algorithm>
#include <vector>

#include "kernels/float_dot.h"
#include "kernels/ops.h"
#include "runtime/kv_cache.h"
#include "runtime/thread_pool.h"
#include "util/half.h"

namespace edgelm {
namespace {

struct AttendScratch {
  std::vector<uint16_t> q16, p16;
  std::vector<float> scores;
  std::vector<uint32_t> cells;
  std::vector<const uint16_t*> rows;
};

// One query head over positions [first, last] of the layer; `end` is the micro-batch's
// end position (it decides llama.cpp's n_kv, the span the weighted sum runs over).
void attend(const float* q, const AttentionShape& shape, const KvCache& cache, uint32_t layer, uint32_t kv_head,
            uint32_t first, uint32_t last, uint32_t end, AttendScratch& s, float* out) {
  const uint32_t hd = shape.head_dim;
  s.q16.resize(hd);
  for (uint32_t k = 0; k < hd; ++k) s.q16[k] = f32_to_f16(q[k]);
  // Visible cells in cell order (a ring wraps: positions and cells differ in order).
  const uint32_t n = last - first + 1;
  s.cells.resize(n);
  for (uint32_t i = 0; i < n; ++i) s.cells[i] = cache.cell_of(layer, first + i);
  std::sort(s.cells.begin(), s.cells.end());
  s.scores.resize(n);
  s.rows.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t cell = s.cells[i];
    const auto* key = reinterpret_cast<const uint8_t*>(cache.key_cell(layer, cell, kv_head));
    s.scores[i] = dot_f16_ordered(FloatDotOrder::kVector, key, s.q16.data(), hd);
    if (shape.scale != 1.0f) s.scores[i] *= shape.scale;
    s.rows[i] = cache.value_cell(layer, cell, kv_head);
  }
  softmax(s.scores.data(), n);
  s.p16.resize(n);
  for (uint32_t i = 0; i < n; ++i) s.p16[i] = f32_to_f16(s.scores[i]);
  // llama.cpp's n_kv: the used cells rounded up to 256, within the cache.
  const uint32_t used = cache.n_cells(layer, end);
  const uint32_t n_span = std::min((used + 255) / 256 * 256, cache.cell_capacity(layer));
  f16_weighted_cells(s.cells.data(), s.p16.data(), s.rows.data(), n, n_span, hd, out);
}

}  // namespace

void attention(const float* q, int64_t n, uint32_t p0, const AttentionShape& shape, const KvCache& cache,
               uint32_t kv_layer, ThreadPool& pool, float* out) {
  const int64_t H = shape.n_head, hd = shape.head_dim, group = shape.n_head / shape.n_head_kv;
  const uint32_t end = p0 + static_cast<uint32_t>(n);
  pool.parallel_ranges(n * H, [&](int64_t b, int64_t e) {
    AttendScratch scratch;
    for (int64_t th = b; th < e; ++th) {
      const int64_t t = th / H, i = th % H;
      const uint32_t pos = p0 + static_cast<uint32_t>(t);
      const uint32_t first = shape.window > 0 && pos + 1 > shape.window ? pos + 1 - shape.window : 0;
      const uint32_t last = shape.see_whole_batch ? end - 1 : pos;
      attend(q + th * hd, shape, cache, kv_layer, static_cast<uint32_t>(i / group), first, last, end, scratch,
             out + th * hd);
    }
  });
}

}  // namespace edgelm
