#include "runtime/memory_plan.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string>

#include "util/error.h"

namespace edgelm {

WeightsMemory plan_weights_memory(const GgufFile& file) {
  WeightsMemory m;
  m.mapped = file.total_tensor_bytes();
  for (const char* name : {"per_layer_token_embd.weight", "token_embd.weight"}) {
    const TensorInfo* t = file.find_tensor(name);
    if (t == nullptr) continue;
    // token_embd doubles as the output head (read whole every token) unless the file
    // has an output tensor.
    if (std::string_view(name) == "token_embd.weight" && file.find_tensor("output.weight") == nullptr) continue;
    m.row_lookup += t->n_bytes;
  }
  m.resident = m.mapped - m.row_lookup;
  return m;
}

uint64_t measured_resident_weights(const GgufFile& file) {
  uint64_t first = UINT64_MAX, last = 0;
  for (const TensorInfo& t : file.tensors()) {
    if (t.data == nullptr || t.n_bytes == 0) continue;
    const auto begin = reinterpret_cast<uint64_t>(t.data);
    first = std::min(first, begin);
    last = std::max(last, begin + t.n_bytes);
  }
  if (first >= last) return 0;
  // The Rss of this process's mappings that overlap the tensor data: pages it has
  // touched (mincore would also count pages other processes left in the page cache).
  std::ifstream smaps("/proc/self/smaps");
  if (!smaps) return 0;
  uint64_t total = 0;
  bool inside = false;
  std::string line;
  while (std::getline(smaps, line)) {
    uint64_t lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64, &lo, &hi) == 2 && line.find(' ') != std::string::npos &&
        line.find('-') < line.find(' ')) {
      inside = lo < last && hi > first;
      continue;
    }
    uint64_t kib = 0;
    if (inside && std::sscanf(line.c_str(), "Rss: %" SCNu64 " kB", &kib) == 1) total += kib * 1024;
  }
  return std::min(total, last - first);
}

void plan_kv_memory(const KvCache& cache, MemoryPlan& plan) {
  plan.kv = cache.full_bytes();
  const bool scored = cache.policy().policy == KvPolicy::attention;
  plan.kv_metadata = 0;
  for (uint32_t l = 0; l < cache.n_layers(); ++l) {
    const LayerKvSpec& s = cache.spec(l);
    if (!s.owns) continue;
    plan.kv_metadata += static_cast<uint64_t>(cache.cell_capacity(l)) * (sizeof(uint32_t) + (!s.ring && scored ? sizeof(float) : 0));
  }
}

MemoryPlan plan_memory(const Model& model, uint32_t n_ctx, uint32_t n_ubatch, int threads, const KvCacheOptions& kv) {
  if (n_ctx == 0 || n_ctx > model.context_length()) {
    fail("context of {} tokens is out of range (1..{}, the model's context length)", n_ctx, model.context_length());
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
  plan.scratch = model.scratch_bytes(cache, n_ubatch, threads);
  return plan;
}

}  // namespace edgelm
