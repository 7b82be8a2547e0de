#include "runtime/kv_policy.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "util/error.h"

namespace edgelm {

namespace {
constexpr KvPolicy kPolicies[] = {KvPolicy::none, KvPolicy::window, KvPolicy::attention};
}

std::string_view kv_policy_name(KvPolicy policy) {
  switch (policy) {
    case KvPolicy::none: return "none";
    case KvPolicy::window: return "window";
    case KvPolicy::attention: return "attention";
  }
  return "unknown";
}

std::string kv_policy_names() {
  std::string names;
  for (KvPolicy p : kPolicies) names += (names.empty() ? "" : ", ") + std::string(kv_policy_name(p));
  return names;
}

KvPolicy parse_kv_policy(std::string_view name) {
  for (KvPolicy p : kPolicies) {
    if (kv_policy_name(p) == name) return p;
  }
  fail("unknown KV cache policy '{}' (available: {})", printable(name), kv_policy_names());
}

KvPolicyPlan plan_kv_policy(const KvPolicyOptions& o, uint32_t n_ctx) {
  KvPolicyPlan plan;
  plan.policy = o.policy;
  if (o.policy == KvPolicy::none) {
    plan.max_append = n_ctx;
    return plan;
  }
  if (!(o.recent_fraction >= 0.0 && o.recent_fraction < 1.0) || !(o.evict_fraction > 0.0 && o.evict_fraction <= 1.0)) {
    fail("KV policy fractions out of range (recent {} in [0, 1), evict {} in (0, 1])", o.recent_fraction,
         o.evict_fraction);
  }
  // Small contexts: sinks and the recent window take at most a quarter each, so at
  // least half of the context can always be freed for a micro-batch.
  plan.sinks = std::min(o.sinks, n_ctx / 4);
  plan.recent = std::clamp(static_cast<uint32_t>(std::ceil(n_ctx * o.recent_fraction)), 1u, std::max(1u, n_ctx / 4));
  if (n_ctx <= plan.sinks + plan.recent) {
    fail("a context of {} tokens is too small for the '{}' KV policy (it keeps {} sink and {} recent tokens)", n_ctx,
         kv_policy_name(o.policy), plan.sinks, plan.recent);
  }
  plan.max_append = n_ctx - plan.sinks - plan.recent;
  plan.chunk = std::clamp(static_cast<uint32_t>(std::ceil(n_ctx * o.evict_fraction)), 1u, plan.max_append);
  // Horizon of the attention scores: the recent window (1/e of a contribution is left
  // after that many tokens).
  plan.decay = 1.0 - 1.0 / std::max<double>(plan.recent, 2.0);
  return plan;
}

std::vector<uint32_t> choose_evictions(const KvPolicyPlan& plan, uint32_t n_used, uint32_t count,
                                       std::span<const float> scores) {
  const uint32_t lo = std::min(plan.sinks, n_used);
  const uint32_t hi = n_used > plan.recent ? std::max(lo, n_used - plan.recent) : lo;
  if (plan.policy == KvPolicy::none || count > hi - lo) {
    fail("cannot evict {} of {} KV cells with the '{}' policy (it keeps {} sink and {} recent cells)", count, n_used,
         kv_policy_name(plan.policy), plan.sinks, plan.recent);
  }
  std::vector<uint32_t> cells(hi - lo);
  std::iota(cells.begin(), cells.end(), lo);
  if (plan.policy == KvPolicy::attention) {
    if (scores.size() < n_used) fail("the attention KV policy needs a score per cell ({} < {})", scores.size(), n_used);
    // Lowest scores first; among equal scores the older cell goes first.
    std::nth_element(cells.begin(), cells.begin() + count, cells.end(), [&](uint32_t a, uint32_t b) {
      return scores[a] < scores[b] || (scores[a] == scores[b] && a < b);
    });
  }
  cells.resize(count);
  std::sort(cells.begin(), cells.end());
  return cells;
}

}  // namespace edgelm
