#include "runtime/kv_cache.h"

#include <algorithm>

#include "util/error.h"

namespace edgelm {

KvCache::KvCache(std::vector<LayerKvSpec> layers, uint32_t n_ctx, uint32_t max_batch)
    : specs_(std::move(layers)), keys_(specs_.size()), values_(specs_.size()), capacity_(specs_.size(), 0),
      n_ctx_(n_ctx), max_batch_(max_batch) {}

void KvCache::reserve(uint32_t end) {
  for (size_t l = 0; l < specs_.size(); ++l) {
    const LayerKvSpec& s = specs_[l];
    if (!s.owns) continue;
    const uint32_t want = s.ring ? s.max_positions : std::min(s.max_positions, end);
    if (capacity_[l] >= want) continue;
    // Ring buffers are allocated whole; full layers double (at least 256 positions).
    const uint32_t cap = s.ring ? want : std::min(s.max_positions, std::max({want, 2 * capacity_[l], 256u}));
    const uint64_t n = static_cast<uint64_t>(cap) * s.n_kv_heads * s.head_dim;
    keys_[l].resize(n);
    values_[l].resize(n);
    capacity_[l] = cap;
  }
}

bool KvCache::can_truncate(uint32_t n) const {
  if (n > n_past_) return false;
  if (n == 0) return true;
  for (const LayerKvSpec& s : specs_) {
    if (!s.owns || !s.ring || n_past_ <= s.max_positions) continue;
    const uint32_t oldest_stored = n_past_ - s.max_positions;
    const uint32_t oldest_needed = n + 1 > s.window ? n + 1 - s.window : 0;
    if (oldest_needed < oldest_stored) return false;
  }
  return true;
}

void KvCache::truncate(uint32_t n) {
  if (!can_truncate(n)) {
    fail("cannot cut the KV cache back from {} to {} positions (a sliding-window ring buffer has overwritten "
         "positions that would be needed)",
         n_past_, n);
  }
  n_past_ = n;
}

uint64_t KvCache::bytes_for(uint32_t positions) const {
  uint64_t total = 0;
  for (const LayerKvSpec& s : specs_) {
    if (!s.owns) continue;
    const uint64_t stored = s.ring ? s.max_positions : std::min(positions, s.max_positions);
    total += 2 * stored * s.n_kv_heads * s.head_dim * sizeof(uint16_t);
  }
  return total;
}

uint64_t KvCache::allocated_bytes() const {
  uint64_t total = 0;
  for (size_t l = 0; l < specs_.size(); ++l) total += (keys_[l].size() + values_[l].size()) * sizeof(uint16_t);
  return total;
}

}  // namespace edgelm
