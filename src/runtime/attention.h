#pragma once
// Causal attention of a micro-batch's query heads over one layer's KV cache, shared by
// every architecture. The cells a token sees are found once per token (by position:
// causal, within the sliding window, never an evicted or empty cell) and shared by its
// heads; the heads of a grouped-query group are computed together, so a key or value row
// is read once for all of them.
//
// f16 K and V follow llama.cpp's non-flash arithmetic, so parity holds bit for bit where
// it can: q rounded to f16, scores q·K in the f16 vector order, softmax in f32,
// probabilities rounded to f16 and weighting the V rows in the vector order over the
// cache's cells (kernels/float_dot.h). Other types are read directly: q8_0/q4_0 keys
// against q quantized to q8_0 (integer dot products, as llama.cpp does for quantized
// K), bf16 keys against q rounded to bf16; non-f16 values are dequantized row by row
// and summed in f32 with f32 probabilities.
//
// With the attention eviction policy, each query's probabilities are added (weighted
// by KvCache::score_weight) to the scores of the cells it saw.
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

// q: [n, n_head, head_dim] for positions p0 .. p0+n-1 (the cache's current micro-batch,
// p0 = cache.n_past()), whose K/V are already stored in `cache` at layer `kv_layer` (a
// KV-shared layer passes its donor). out: same shape.
void attention(const float* q, int64_t n, uint32_t p0, const AttentionShape& shape, KvCache& cache,
               uint32_t kv_layer, ThreadPool& pool, float* out);

// Bytes the attention op allocates (and keeps, per thread) for micro-batches of
// n_ubatch tokens over `cache`, with query groups of up to `group` heads per KV head.
uint64_t attention_scratch_bytes(const KvCache& cache, uint32_t n_ubatch, int threads, uint32_t group);

}  // namespace edgelm
