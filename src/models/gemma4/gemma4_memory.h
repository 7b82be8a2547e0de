#pragma once
// Gemma 4's memory layout: its KV cache and its scratch figure for the memory plan
// (runtime/memory_plan.h).
#include <cstdint>
#include <vector>

#include "models/gemma4/gemma4_config.h"
#include "runtime/kv_cache.h"

namespace edgelm {

// The KV cache layout of a Gemma 4 model (spec: gemma4.md §4, §5, §9): layers below
// the first shared one own a cache, sliding layers as rings of the window plus a
// micro-batch (llama.cpp's SWA cache size), full layers the whole context.
std::vector<LayerKvSpec> gemma4_kv_layout(const Gemma4Config& config, uint32_t n_ctx, uint32_t n_ubatch);

// Bytes of scratch for micro-batches of n_ubatch tokens over `cache` with `threads`.
uint64_t gemma4_scratch_bytes(const Gemma4Config& config, const KvCache& cache, uint32_t n_ubatch, int threads);

}  // namespace edgelm
