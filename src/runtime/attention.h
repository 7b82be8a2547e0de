#pragma once
// Causal attention of a micro-batch's query heads over one layer's KV cache, in
// llama.cpp's non-flash arithmetic (so parity holds bit for bit where it can): q
// rounded to f16, scores q·K in the f16 vector order, softmax in f32, probabilities
// rounded to f16 and weighting the f16 V rows in the vector order over the cache's
// cells (kernels/float_dot.h). Shared by every architecture.
#include <cstdint>

namespace edgelm {

class KvCache;
class ThreadPool;

struct AttentionShape {
  uint32_t n_head = 0;     // query heads
  uint32_t n_head_kv = 0;  // KV heads (grouped-query: n_head / n_head_kv queries share one)
  uint32_t head_dim = 0;
  uint32_t window = 0;     // > 0: a query sees only the last `window` positions, itself included
  float scale = 1.0f;      // applied to q·k before the softmax
  // A query also sees the later positions of its own micro-batch (bidirectional within
  // it, e.g. image rows in Gemma 4's sliding layers); the window still counts back
  // from the query's own position.
  bool see_whole_batch = false;
};

// q: [n, n_head, head_dim] for positions p0 .. p0+n-1, whose K/V are already in
// `cache` at layer `kv_layer` (a KV-shared layer passes its donor). out: same shape.
void attention(const float* q, int64_t n, uint32_t p0, const AttentionShape& shape, const KvCache& cache,
               uint32_t kv_layer, ThreadPool& pool, float* out);

}  // namespace edgelm
