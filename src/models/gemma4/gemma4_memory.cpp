#include "models/gemma4/gemma4_memory.h"

#include <algorithm>

#include "runtime/attention.h"

namespace edgelm {

std::vector<LayerKvSpec> gemma4_kv_layout(const Gemma4Config& config, uint32_t n_ctx, uint32_t n_ubatch) {
  std::vector<LayerKvSpec> specs(config.n_layers);
  for (uint32_t l = 0; l < config.n_layers; ++l) {
    if (!config.owns_kv(l)) continue;
    LayerKvSpec& s = specs[l];
    s.owns = true;
    s.n_kv_heads = config.n_head_kv[l];
    s.head_dim = config.head_dim(l);
    // A sliding layer needs the window behind the oldest token of a micro-batch plus
    // the micro-batch itself, rounded up to 256 cells as llama.cpp sizes its SWA cache
    // (the cell a position lands in decides the order attention sums in); never more
    // than the context.
    const uint32_t ring = (config.sliding_window + n_ubatch + 255) / 256 * 256;
    s.ring = config.is_sliding[l];
    s.max_positions = s.ring ? std::min(ring, n_ctx) : n_ctx;
    s.window = s.ring ? config.sliding_window : 0;
  }
  return specs;
}

uint64_t gemma4_scratch_bytes(const Gemma4Config& c, const KvCache& cache, uint32_t n_ubatch, int threads) {
  const uint64_t n = std::min(n_ubatch, cache.max_ubatch());
  const uint64_t d = c.d_model, L = c.n_layers, P = c.per_layer_dim;
  const uint64_t hd = std::max(c.head_dim_full, c.head_dim_swa);
  uint64_t H = 0, KV = 0, F = 0, group = 1;
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    H = std::max<uint64_t>(H, c.n_head[l]);
    KV = std::max<uint64_t>(KV, c.n_head_kv[l]);
    F = std::max<uint64_t>(F, c.n_ff[l]);
    group = std::max<uint64_t>(group, c.n_head[l] / c.n_head_kv[l]);
  }
  // Forward pass floats per token: x, h, a1, the per-layer inputs, q, k, v, the
  // attention output, gate and up, the per-layer gate; plus one row of per-layer
  // embeddings, the final norm and the logits.
  const uint64_t floats = n * (3 * d + L * P + 2 * H * hd + 2 * KV * hd + 2 * F + P) + L * P + d + c.n_vocab;
  // matmul's converted activations: q8_0 of the widest input at most (34 bytes per 32)
  // with a block sum per 32.
  const uint64_t widest_input = std::max(d, F);
  const uint64_t activations = n * widest_input * 34 / 32 + n * widest_input / 32 * sizeof(int32_t);
  return floats * sizeof(float) + activations +
         attention_scratch_bytes(cache, static_cast<uint32_t>(n), threads, static_cast<uint32_t>(group));
}

}  // namespace edgelm
