#include "cli/kv_options.h"

#include <fmt/format.h>

#include "runtime/kv_types.h"

namespace edgelm::cli {

void add_kv_options(CLI::App* app, KvCliOptions& o) {
  app->add_option("--kv-type", o.type,
                  fmt::format("KV cache storage type of K and V: {} (docs/kv-cache.md)", kv_type_names()))
      ->capture_default_str();
  app->add_option("--kv-type-k", o.type_k, "KV cache type of K alone [default: --kv-type]");
  app->add_option("--kv-type-v", o.type_v, "KV cache type of V alone [default: --kv-type]");
  app->add_option("--kv-policy", o.policy,
                  "When the context is full: none (stop with an error), window (keep the first --kv-sinks "
                  "tokens and the most recent ones), attention (keep the sinks, the recent tokens and those "
                  "attention uses most; drop the rest a chunk at a time)")
      ->capture_default_str();
  app->add_option("--kv-sinks", o.sinks, "First tokens an evicting policy always keeps")->capture_default_str();
}

KvCacheOptions kv_cache_options(const KvCliOptions& o) {
  KvCacheOptions kv;
  const TensorType both = parse_kv_type(o.type);
  kv.k_type = o.type_k.empty() ? both : parse_kv_type(o.type_k);
  kv.v_type = o.type_v.empty() ? both : parse_kv_type(o.type_v);
  kv.policy.policy = parse_kv_policy(o.policy);
  kv.policy.sinks = o.sinks;
  return kv;
}

}  // namespace edgelm::cli
