#pragma once
// The KV cache options every generating subcommand shares: storage types for K and V
// and what happens when the context is full (runtime/kv_cache.h, kv_policy.h).
#include <CLI/CLI.hpp>

#include <string>

#include "runtime/kv_cache.h"

namespace edgelm::cli {

struct KvCliOptions {
  std::string type = "f16";   // --kv-type: K and V
  std::string type_k, type_v; // --kv-type-k / --kv-type-v: override one of them
  std::string policy = "attention";
  uint32_t sinks = KvPolicyOptions{}.sinks;
};

// Adds --kv-type, --kv-type-k, --kv-type-v, --kv-policy and --kv-sinks to `app`.
void add_kv_options(CLI::App* app, KvCliOptions& options);

// Checks the names (edgelm::Error listing the choices) and builds the cache options.
KvCacheOptions kv_cache_options(const KvCliOptions& options);

}  // namespace edgelm::cli
