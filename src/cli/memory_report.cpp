#include "cli/memory_report.h"

#include <fmt/format.h>

#include <cstdio>

#include "runtime/memory_plan.h"
#include "util/human_units.h"
#include "util/memory_stats.h"

namespace edgelm::cli {

void print_measured_memory(const Generator& generator, const GgufFile& file) {
  const KvCache& cache = generator.cache();
  const WeightsMemory planned = plan_weights_memory(file);
  const KvBytes allocated = cache.allocated_bytes(), full = cache.full_bytes();
  uint32_t used = 0;
  for (uint32_t l = 0; l < cache.n_layers(); ++l) {
    if (cache.spec(l).owns && !cache.spec(l).ring) used = cache.n_used(l);
  }
  std::string text = fmt::format(
      "memory: weights {} mapped, {} resident now (planned {}); KV cache {}/{}: full layers {} committed of {} ({} of "
      "{} cells in use), sliding layers {} of {}, cell bookkeeping {}; {} positions, {} evictions ({} cells); peak "
      "RSS {}\n",
      human_bytes(planned.mapped), human_bytes(measured_resident_weights(file)), human_bytes(planned.resident),
      type_name(cache.k_type()), type_name(cache.v_type()), human_bytes(allocated.full), human_bytes(full.full), used,
      cache.n_ctx(), human_bytes(allocated.sliding), human_bytes(full.sliding), human_bytes(cache.metadata_bytes()),
      cache.n_past(), cache.evictions(), cache.evicted_cells(), human_bytes(peak_rss_bytes()));
  std::fputs(text.c_str(), stderr);
}

}  // namespace edgelm::cli
