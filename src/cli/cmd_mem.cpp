// edgelm mem: the memory plan of a model at a context size, before running it: mapped
// weights and the part expected resident, the KV cache of full-attention and sliding
// layers for the chosen storage types, and the forward pass's scratch.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/kv_options.h"
#include "cli/model_loading.h"
#include "runtime/memory_plan.h"
#include "runtime/kv_types.h"
#include "util/error.h"
#include "util/human_units.h"

namespace edgelm::cli {

namespace {

struct MemArgs {
  std::string model;
  uint32_t ctx = 0;  // 0: the model's context length
  uint32_t ubatch = 512;
  int threads = 0;
  KvCliOptions kv;
  bool json = false;
};

struct LayerCounts {
  uint32_t full = 0, sliding = 0, shared = 0, full_cells = 0, ring_cells = 0;
};

LayerCounts count_layers(const Model& model, const MemoryPlan& plan) {
  KvCache cache = model.new_cache(plan.n_ctx, plan.n_ubatch);
  cache.configure(plan.kv_options);
  LayerCounts c;
  for (uint32_t l = 0; l < cache.n_layers(); ++l) {
    const LayerKvSpec& s = cache.spec(l);
    if (!s.owns) {
      ++c.shared;
    } else if (s.ring) {
      ++c.sliding;
      c.ring_cells = cache.cell_capacity(l);
    } else {
      ++c.full;
      c.full_cells = cache.cell_capacity(l);
    }
  }
  return c;
}

int run_mem(const MemArgs& a) {
  // Mapped, not read: the plan needs shapes, not weights.
  const auto model = open_model(a.model);
  const uint32_t ctx = a.ctx > 0 ? a.ctx : model->context_length();
  const int threads = resolve_threads(a.threads);
  const KvCacheOptions kv = kv_cache_options(a.kv);
  const MemoryPlan plan = plan_memory(*model, ctx, a.ubatch, threads, kv);
  const LayerCounts layers = count_layers(*model, plan);
  if (a.json) {
    nlohmann::ordered_json j;
    j["model"] = a.model;
    j["n_ctx"] = plan.n_ctx;
    j["n_ubatch"] = plan.n_ubatch;
    j["threads"] = plan.threads;
    j["kv_type_k"] = type_name(kv.k_type);
    j["kv_type_v"] = type_name(kv.v_type);
    j["kv_policy"] = std::string(kv_policy_name(kv.policy.policy));
    j["weights_mapped_bytes"] = plan.weights.mapped;
    j["weights_resident_bytes"] = plan.weights.resident;
    j["weights_row_lookup_bytes"] = plan.weights.row_lookup;
    j["kv_bytes_full"] = plan.kv.full;
    j["kv_bytes_sliding"] = plan.kv.sliding;
    j["kv_layers_full"] = layers.full;
    j["kv_layers_sliding"] = layers.sliding;
    j["kv_layers_shared"] = layers.shared;
    j["kv_cells_full"] = layers.full_cells;
    j["kv_cells_sliding"] = layers.ring_cells;
    j["kv_metadata_bytes"] = plan.kv_metadata;
    j["scratch_bytes"] = plan.scratch;
    j["total_bytes"] = plan.total();
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("memory plan: {} at a context of {} tokens (micro-batch {}, {} threads)\n", a.model, plan.n_ctx,
             plan.n_ubatch, plan.threads);
  fmt::print("  weights     {} mapped, about {} resident", human_bytes(plan.weights.mapped),
             human_bytes(plan.weights.resident));
  if (plan.weights.row_lookup > 0) {
    fmt::print(" ({} of embedding tables are read one row per token)", human_bytes(plan.weights.row_lookup));
  }
  fmt::print("\n  KV cache    K {} / V {}, policy {}\n", type_name(kv.k_type), type_name(kv.v_type),
             kv_policy_name(kv.policy.policy));
  fmt::print("    full      {} ({} layers x {} cells)\n", human_bytes(plan.kv.full), layers.full, layers.full_cells);
  fmt::print("    sliding   {} ({} layers x {}-cell rings)\n", human_bytes(plan.kv.sliding), layers.sliding,
             layers.ring_cells);
  fmt::print("    shared    {} layers read another layer's cache: 0 B\n", layers.shared);
  fmt::print("    cells     {} (positions{})\n", human_bytes(plan.kv_metadata),
             kv.policy.policy == KvPolicy::attention ? " and attention scores" : "");
  fmt::print("  scratch     {}\n", human_bytes(plan.scratch));
  fmt::print("  total       {} with the context full (the KV cache is committed as it fills)\n",
             human_bytes(plan.total()));
  return 0;
}

}  // namespace

Command add_mem_command(CLI::App& app) {
  auto a = std::make_shared<MemArgs>();
  CLI::App* sub = app.add_subcommand(
      "mem",
      "The memory plan of a model at a context size: weights mapped and expected resident, the KV cache of "
      "full-attention and sliding-window layers for the chosen KV types, and the scratch buffers. Nothing runs.");
  sub->add_option("-m,--model", a->model, "GGUF model file")->required();
  sub->add_option("-c,--ctx", a->ctx, "Context size in tokens [default: the model's context length]");
  sub->add_option("-u,--ubatch", a->ubatch, "Prompt tokens per forward micro-batch")->capture_default_str();
  sub->add_option("-t,--threads", a->threads, "Threads [default: all cores]");
  add_kv_options(sub, a->kv);
  sub->add_flag("--json", a->json, "Print the plan as JSON (byte counts)");
  return {sub, [a] { return run_mem(*a); }};
}

}  // namespace edgelm::cli
