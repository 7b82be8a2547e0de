#pragma once
// What a model costs before it runs: file size, parameters, the longest context, and the
// KV cache a sequence needs (per token, and at given context lengths). For side-by-side
// comparisons (edgelm compare) of models of different architectures.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace edgelm {

class Model;

struct KvAtContext {
  uint32_t context = 0;  // the context asked for
  uint32_t used = 0;     // the same, or the model's maximum when that is shorter
  uint64_t bytes = 0;    // K and V (f16) of one sequence of `used` positions
};

struct ModelFacts {
  std::string arch;
  std::string name;                 // general.name ("" when absent)
  uint64_t file_bytes = 0;
  uint64_t parameters = 0;          // elements of every tensor in the file
  uint32_t max_context = 0;
  // KV bytes each further token adds at long context (sliding-window rings are full by
  // then and cost nothing more).
  double kv_bytes_per_token = 0.0;
  std::vector<KvAtContext> kv;      // one per requested context
};

ModelFacts model_facts(const Model& model, std::span<const uint32_t> contexts);

}  // namespace edgelm
