#pragma once
// What a KV cache does when its full-attention layers have no free cell for the next
// micro-batch (docs/kv-cache.md):
//  - none:      refuse (edgelm::Error "context full"); generation stops at the context size;
//  - window:    StreamingLLM: keep the first `sinks` positions (attention sinks) and drop
//               the oldest of the rest;
//  - attention: keep the sinks and a recent window, and among the others drop those that
//               attention has used least lately: each cell keeps a decaying sum of the
//               attention probability its queries gave it (all heads, every layer that
//               reads the cache), an exponential moving average with the recent
//               window's length as horizon (a continuous form of H2O's accumulated
//               attention / SnapKV's observation window).
// Both evicting policies free a chunk of the context at once (evict_fraction), so the
// cost of choosing and compacting is paid once per chunk, not per token. Kept entries
// keep their absolute positions (their keys were rotated when written and are never
// touched again); sliding-window layers are rings and never need eviction.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edgelm {

enum class KvPolicy { none, window, attention };

// "none" / "window" / "attention"
std::string_view kv_policy_name(KvPolicy policy);
// Parses a name; throws edgelm::Error listing the policies.
KvPolicy parse_kv_policy(std::string_view name);
std::string kv_policy_names();

struct KvPolicyOptions {
  KvPolicy policy = KvPolicy::none;
  uint32_t sinks = 4;              // first positions never evicted
  double recent_fraction = 0.125;  // newest cells never evicted, as a fraction of the context
  double evict_fraction = 0.10;    // cells freed per eviction, as a fraction of the context
};

// The policy's figures for a context of n_ctx cells.
struct KvPolicyPlan {
  KvPolicy policy = KvPolicy::none;
  uint32_t sinks = 0;
  uint32_t recent = 0;
  uint32_t chunk = 0;       // cells freed per eviction (at least what the micro-batch needs)
  uint32_t max_append = 0;  // the most cells one micro-batch may add (n_ctx with none)
  double decay = 1.0;       // attention scores are multiplied by this per token
};

// Throws edgelm::Error when the context is too small for an evicting policy.
KvPolicyPlan plan_kv_policy(const KvPolicyOptions& options, uint32_t n_ctx);

// The `count` cells of [0, n_used) to evict, ascending. Cells are in position order;
// the first plan.sinks and the last plan.recent are never chosen. `scores` (n_used
// values) rank cells for the attention policy (lowest evicted first, older first on a
// tie); the window policy takes the oldest. Throws edgelm::Error when fewer than `count`
// cells may be evicted.
std::vector<uint32_t> choose_evictions(const KvPolicyPlan& plan, uint32_t n_used, uint32_t count,
                                       std::span<const float> scores);

}  // namespace edgelm
