#pragma once
// What running a model costs in memory, planned before it runs (`edgelm mem`) and
// measured after (`edgelm run --mem`): mapped weights and the part of them expected
// resident, the KV cache by kind of layer, and the forward pass's scratch buffers.
#include <cstdint>

#include "gguf/gguf_reader.h"
#include "models/model.h"
#include "runtime/kv_cache.h"

namespace edgelm {

struct WeightsMemory {
  uint64_t mapped = 0;      // every tensor, mapped from the file (not copied)
  uint64_t resident = 0;    // expected resident when running: all but row-lookup tables
  uint64_t row_lookup = 0;  // tables read one row per token (per_layer_token_embd, and
                            // token_embd when the output head is a tensor of its own)
};

WeightsMemory plan_weights_memory(const GgufFile& file);

// Bytes of the file's tensor data resident in this process now (the Rss of its
// mapping, /proc/self/smaps); 0 when it cannot be measured.
uint64_t measured_resident_weights(const GgufFile& file);

struct MemoryPlan {
  uint32_t n_ctx = 0;
  uint32_t n_ubatch = 0;
  int threads = 1;
  KvCacheOptions kv_options;
  WeightsMemory weights;
  KvBytes kv;                 // K and V with every cell filled
  uint64_t kv_metadata = 0;   // cell positions (and attention scores) with every cell filled
  uint64_t scratch = 0;       // forward-pass buffers of one micro-batch, logits included
  uint64_t total() const { return weights.resident + kv.total() + kv_metadata + scratch; }
};

// The KV part of a plan, from a configured (still empty) cache.
void plan_kv_memory(const KvCache& cache, MemoryPlan& plan);

// The whole plan for a context of n_ctx tokens (throws edgelm::Error for options the
// model or context cannot take, as a Generator would).
MemoryPlan plan_memory(const Model& model, uint32_t n_ctx, uint32_t n_ubatch, int threads, const KvCacheOptions& kv);

}  // namespace edgelm
