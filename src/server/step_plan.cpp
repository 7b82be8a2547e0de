#include "server/step_plan.h"

#include <algorithm>

namespace edgelm::server {

std::vector<uint32_t> plan_step(std::span<const size_t> pending, uint32_t n_ubatch, uint32_t n_batch) {
  std::vector<uint32_t> plan(pending.size(), 0);
  size_t used = 0;
  for (size_t i = 0; i < pending.size(); ++i) {
    if (pending[i] == 1) {
      plan[i] = 1;
      ++used;
    }
  }
  bool first_prefill = true;
  for (size_t i = 0; i < pending.size(); ++i) {
    if (pending[i] <= 1) continue;
    const uint32_t chunk = static_cast<uint32_t>(std::min<size_t>(pending[i], n_ubatch));
    if (!first_prefill && used + chunk > n_batch) break;  // later prompts wait: first come, first served
    plan[i] = chunk;
    used += chunk;
    first_prefill = false;
  }
  return plan;
}

int choose_slot(std::span<const SlotCandidate> slots) {
  const auto continues = [](const SlotCandidate& s) { return s.shared_prefix > 0 && 2 * s.shared_prefix >= s.cached_tokens; };
  int best = -1;
  for (size_t i = 0; i < slots.size(); ++i) {
    const SlotCandidate& s = slots[i];
    if (!s.idle) continue;
    if (best < 0) {
      best = static_cast<int>(i);
      continue;
    }
    const SlotCandidate& b = slots[static_cast<size_t>(best)];
    const bool s_continues = continues(s), b_continues = continues(b);
    bool better = false;
    if (s_continues != b_continues) {
      better = s_continues;
    } else if (s_continues && s.shared_prefix != b.shared_prefix) {
      better = s.shared_prefix > b.shared_prefix;
    } else {
      better = s.last_started < b.last_started;
    }
    if (better) best = static_cast<int>(i);
  }
  return best;
}

}  // namespace edgelm::server
