#include "runtime/model_facts.h"

#include <algorithm>

#include "models/model.h"

namespace edgelm {

namespace {
// The micro-batch the KV sizes assume (rings hold window + micro-batch positions):
// the default of run, chat and bench.
constexpr uint32_t kUbatch = 512;

uint64_t kv_bytes(const Model& model, uint32_t positions) {
  return model.new_cache(positions, std::min(kUbatch, positions)).bytes_for(positions);
}
}  // namespace

ModelFacts model_facts(const Model& model, std::span<const uint32_t> contexts) {
  const GgufFile& f = model.file();
  ModelFacts r;
  r.arch = std::string(model.architecture());
  r.name = std::string(f.get_string_or("general.name", ""));
  r.file_bytes = f.file_size();
  for (const TensorInfo& t : f.tensors()) r.parameters += t.n_elements;
  r.max_context = model.context_length();
  // The slope over the upper half of the usable context (at most 128K positions).
  const uint32_t hi = std::min<uint32_t>(r.max_context, 131072), lo = hi / 2;
  if (hi > lo) r.kv_bytes_per_token = static_cast<double>(kv_bytes(model, hi) - kv_bytes(model, lo)) / (hi - lo);
  for (uint32_t c : contexts) {
    const uint32_t used = std::min(c, r.max_context);
    r.kv.push_back({c, used, kv_bytes(model, used)});
  }
  return r;
}

}  // namespace edgelm
