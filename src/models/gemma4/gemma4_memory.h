#pragma once
// The memory plan of a Gemma 4 model (runtime/memory_plan.h): the scratch figure
// follows the buffers Gemma4Model's forward pass and the attention op allocate.
#include <cstdint>

#include "models/gemma4/gemma4_model.h"
#include "runtime/memory_plan.h"

namespace edgelm {

// Bytes of scratch for micro-batches of n_ubatch tokens over `cache` with `threads`.
uint64_t gemma4_scratch_bytes(const Gemma4Config& config, const KvCache& cache, uint32_t n_ubatch, int threads);

// The whole plan for a context of n_ctx tokens (throws edgelm::Error for options the
// model or context cannot take, as a Generator would).
MemoryPlan plan_gemma4_memory(const Gemma4Model& model, uint32_t n_ctx, uint32_t n_ubatch, int threads,
                              const KvCacheOptions& kv);

}  // namespace edgelm
