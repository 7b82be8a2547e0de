#include "models/gemma4/gemma4_memory.h"

#include <algorithm>

#include "kernels/activations.h"
#include "runtime/attention_simd.h"
#include "util/error.h"

namespace edgelm {

uint64_t gemma4_scratch_bytes(const Gemma4Config& c, const KvCache& cache, uint32_t n_ubatch, int threads) {
  const uint64_t n = std::min(n_ubatch, cache.max_ubatch());
  const uint64_t d = c.d_model, L = c.n_layers, P = c.per_layer_dim;
  uint64_t H = 0, KV = 0, F = 0, hd = std::max(c.head_dim_full, c.head_dim_swa), group = 1;
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    H = std::max<uint64_t>(H, c.n_head[l]);
    KV = std::max<uint64_t>(KV, c.n_head_kv[l]);
    F = std::max<uint64_t>(F, c.n_ff[l]);
    group = std::max<uint64_t>(group, c.n_head[l] / c.n_head_kv[l]);
  }
  // Forward pass floats per token: x, h, a1, the per-layer inputs, q, k, v, the
  // attention output, gate and up, the per-layer gate; plus one row of per-layer
  // embeddings, the final norm and the logits.
  uint64_t floats = n * (3 * d + L * P + 2 * H * hd + 2 * KV * hd + 2 * F + P) + L * P + d + c.n_vocab;
  // matmul's converted activations (q8_0 of the widest input at most: 34 bytes per 32).
  uint64_t bytes = n * std::max(d, F) * 34 / 32 + n * std::max(d, F) / 32 * sizeof(int32_t);
  // Attention, per thread: one head group's scores over the widest visible span (plus
  // their f16-rounded copy for f16 V and the V accumulators), and with the attention
  // policy the thread's additions to the cells' scores.
  uint64_t widest = 0, ring_cells = 0;
  for (uint32_t l = 0; l < cache.n_layers(); ++l) {
    if (!cache.spec(l).owns) continue;
    widest = std::max<uint64_t>(widest, cache.spec(l).ring ? cache.spec(l).window : cache.n_ctx());
    if (cache.spec(l).ring) ring_cells = std::max<uint64_t>(ring_cells, cache.cell_capacity(l));
  }
  const bool scored = cache.policy().policy == KvPolicy::attention;
  floats += static_cast<uint64_t>(threads) *
            (2 * group * widest + simd_f16_values_scratch(static_cast<int>(group), 16) + (scored ? cache.n_ctx() : 0));
  // The visible-cell lists of the micro-batch (the calling thread's).
  bytes += sizeof(uint32_t) * std::max<uint64_t>(cache.n_ctx(), n * std::min<uint64_t>(ring_cells, c.sliding_window)) +
           n * (sizeof(uint64_t) + sizeof(uint32_t));
  return floats * sizeof(float) + bytes;
}

MemoryPlan plan_gemma4_memory(const Gemma4Model& model, uint32_t n_ctx, uint32_t n_ubatch, int threads,
                              const KvCacheOptions& kv) {
  const Gemma4Config& c = model.config();
  if (n_ctx == 0 || n_ctx > c.context_length) {
    fail("context of {} tokens is out of range (1..{}, the model's context length)", n_ctx, c.context_length);
  }
  if (n_ubatch == 0) fail("the micro-batch size must be positive");
  KvCache cache = model.new_cache(n_ctx, n_ubatch);
  cache.configure(kv);
  MemoryPlan plan;
  plan.n_ctx = n_ctx;
  plan.n_ubatch = std::min(n_ubatch, cache.max_ubatch());
  plan.threads = threads;
  plan.kv_options = kv;
  plan.weights = plan_weights_memory(model.file());
  plan_kv_memory(cache, plan);
  plan.scratch = gemma4_scratch_bytes(c, cache, n_ubatch, threads);
  return plan;
}

}  // namespace edgelm
