#include "runtime/kv_cache.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/kv_types.h"
#include "util/error.h"

namespace edgelm {

namespace {

uint32_t round_up(uint32_t n, uint32_t to) { return (n + to - 1) / to * to; }

}  // namespace

KvCache::KvCache(std::vector<LayerKvSpec> layers, uint32_t n_ctx, uint32_t max_batch)
    : specs_(std::move(layers)), stores_(specs_.size()), n_ctx_(n_ctx), max_batch_(max_batch) {
  if (n_ctx == 0) fail("a KV cache needs a context of at least one token");
  if (max_batch == 0) fail("a KV cache needs a micro-batch of at least one token");
  configure(KvCacheOptions{});
}

bool KvCache::stored_anything() const {
  if (n_past_ > 0 || in_ubatch_) return true;
  return std::any_of(stores_.begin(), stores_.end(), [](const LayerStore& s) { return s.high_water > 0; });
}

void KvCache::configure(const KvCacheOptions& options) {
  if (stored_anything()) fail("the KV cache types and policy can only be set before anything is stored");
  if (!is_kv_type(options.k_type) || !is_kv_type(options.v_type)) {
    fail("KV cache types {}/{} are not supported (available: {})", type_name(options.k_type),
         type_name(options.v_type), kv_type_names());
  }
  const KvPolicyPlan plan = plan_kv_policy(options.policy, n_ctx_);
  std::vector<uint64_t> k_rows(specs_.size()), v_rows(specs_.size());
  for (size_t l = 0; l < specs_.size(); ++l) {
    if (!specs_[l].owns) continue;
    k_rows[l] = kv_row_bytes(options.k_type, specs_[l].head_dim);
    v_rows[l] = kv_row_bytes(options.v_type, specs_[l].head_dim);
  }
  options_ = options;
  plan_ = plan;
  for (size_t l = 0; l < specs_.size(); ++l) {
    LayerKvSpec& s = specs_[l];
    stores_[l] = LayerStore{};
    stores_[l].k_row = k_rows[l];
    stores_[l].v_row = v_rows[l];
    // A ring no larger than the context behaves as a full layer until the sequence
    // passes the context; an evicting policy lets it, and the ring must then still
    // hold the window behind a micro-batch.
    if (s.owns && s.ring && evicts()) {
      s.max_positions = std::max(s.max_positions, round_up(s.window + max_ubatch(), 256));
    }
  }
}

uint32_t KvCache::max_ubatch() const { return evicts() ? std::min(max_batch_, plan_.max_append) : max_batch_; }

void KvCache::check_room(uint64_t n_tokens) const {
  if (!evicts() && n_past_ + n_tokens > n_ctx_) {
    fail("context full: {} tokens in the cache + {} new > context size {} (use a larger --ctx or an evicting "
         "--kv-policy)",
         n_past_, n_tokens, n_ctx_);
  }
}

bool KvCache::can_truncate(uint32_t n) const {
  if (in_ubatch_ || n > n_past_) return false;
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
  // A failed micro-batch is abandoned: its positions are >= n_past and go with the rest.
  if (in_ubatch_) {
    in_ubatch_ = false;
    ubatch_n_ = 0;
  }
  if (!can_truncate(n)) {
    fail("cannot cut the KV cache back from {} to {} positions (a sliding-window ring buffer has overwritten "
         "positions that would be needed)",
         n_past_, n);
  }
  n_past_ = n;
  for (size_t l = 0; l < specs_.size(); ++l) {
    const LayerKvSpec& s = specs_[l];
    LayerStore& st = stores_[l];
    if (!s.owns) continue;
    if (s.ring) {
      for (uint32_t& p : st.pos) {
        if (p != kNoPosition && p >= n) p = kNoPosition;
      }
      continue;
    }
    st.n_used = static_cast<uint32_t>(std::lower_bound(st.pos.begin(), st.pos.begin() + st.n_used, n) - st.pos.begin());
    st.pos.resize(st.n_used);
    if (!st.scores.empty() || plan_.policy == KvPolicy::attention) st.scores.resize(st.n_used);
    // Give the memory of the dropped cells back.
    const uint64_t cap = s.max_positions;
    for (uint32_t h = 0; h < s.n_kv_heads; ++h) {
      st.k.release((h * cap + st.n_used) * st.k_row, (h + 1) * cap * st.k_row);
      st.v.release((h * cap + st.n_used) * st.v_row, (h + 1) * cap * st.v_row);
    }
    st.high_water = st.n_used;
  }
}

void KvCache::skip_positions(uint32_t n) {
  if (in_ubatch_) fail("cannot skip positions during a micro-batch");
  check_room(n);
  n_past_ += n;
}

void KvCache::allocate(uint32_t layer) {
  const LayerKvSpec& s = specs_[layer];
  LayerStore& st = stores_[layer];
  if (!s.owns || st.k.data() != nullptr) return;
  const uint64_t cells = static_cast<uint64_t>(s.max_positions) * s.n_kv_heads;
  st.k = LazyBuffer(cells * st.k_row);
  st.v = LazyBuffer(cells * st.v_row);
  if (s.ring) st.pos.assign(s.max_positions, kNoPosition);
}

void KvCache::make_room(uint32_t n) {
  uint32_t needed = 0;
  for (size_t l = 0; l < specs_.size(); ++l) {
    if (specs_[l].owns && !specs_[l].ring) needed = std::max(needed, stores_[l].n_used + n > n_ctx_ ? stores_[l].n_used + n - n_ctx_ : 0);
  }
  if (needed == 0) return;
  for (size_t l = 0; l < specs_.size(); ++l) {
    const LayerKvSpec& s = specs_[l];
    LayerStore& st = stores_[l];
    if (!s.owns || s.ring) continue;
    const uint32_t evictable = st.n_used > plan_.sinks + plan_.recent ? st.n_used - plan_.sinks - plan_.recent : 0;
    // A whole chunk when there is that much to evict; what is needed in any case (an
    // error when the policy cannot free that much).
    const uint32_t count = std::max(needed, std::min(plan_.chunk, evictable));
    evict(static_cast<uint32_t>(l), choose_evictions(plan_, st.n_used, count, st.scores));
  }
  ++evictions_;
}

void KvCache::evict(uint32_t layer, const std::vector<uint32_t>& cells) {
  const LayerKvSpec& s = specs_[layer];
  LayerStore& st = stores_[layer];
  const bool scored = !st.scores.empty();
  uint32_t write = cells.empty() ? st.n_used : cells.front();
  size_t next = 0;
  for (uint32_t c = write; c < st.n_used; ++c) {
    if (next < cells.size() && cells[next] == c) {
      ++next;
      continue;
    }
    for (uint32_t h = 0; h < s.n_kv_heads; ++h) {
      std::memcpy(row(st.k, st.k_row, layer, write, h), row(st.k, st.k_row, layer, c, h), st.k_row);
      std::memcpy(row(st.v, st.v_row, layer, write, h), row(st.v, st.v_row, layer, c, h), st.v_row);
    }
    st.pos[write] = st.pos[c];
    if (scored) st.scores[write] = st.scores[c];
    ++write;
  }
  evicted_cells_ += st.n_used - write;
  st.n_used = write;
  st.pos.resize(write);
  if (scored) st.scores.resize(write);
}

void KvCache::evict_positions(uint32_t first, uint32_t last) {
  if (in_ubatch_) fail("cannot evict during a micro-batch");
  for (size_t l = 0; l < specs_.size(); ++l) {
    if (!specs_[l].owns || specs_[l].ring) continue;
    const std::vector<uint32_t>& pos = stores_[l].pos;
    std::vector<uint32_t> cells;
    for (uint32_t c = 0; c < stores_[l].n_used; ++c) {
      if (pos[c] >= first && pos[c] < last) cells.push_back(c);
    }
    evict(static_cast<uint32_t>(l), cells);
  }
}

void KvCache::begin_ubatch(uint32_t n) {
  if (in_ubatch_) fail("a micro-batch is already in progress");
  if (n == 0 || n > max_ubatch()) {
    fail("micro-batch of {} tokens does not fit a cache made for 1..{} (context {}, policy {})", n, max_ubatch(),
         n_ctx_, kv_policy_name(plan_.policy));
  }
  check_room(n);
  if (static_cast<uint64_t>(n_past_) + n >= kNoPosition) fail("the sequence has reached {} positions", n_past_);
  for (uint32_t l = 0; l < n_layers(); ++l) allocate(l);
  make_room(n);
  const bool scored = plan_.policy == KvPolicy::attention;
  const float decay = scored ? static_cast<float>(std::pow(plan_.decay, n)) : 1.0f;
  for (size_t l = 0; l < specs_.size(); ++l) {
    const LayerKvSpec& s = specs_[l];
    LayerStore& st = stores_[l];
    if (!s.owns) continue;
    if (s.ring) {
      for (uint32_t t = 0; t < n; ++t) {
        const uint32_t cell = (n_past_ + t) % s.max_positions;
        st.pos[cell] = n_past_ + t;
        st.high_water = std::max(st.high_water, cell + 1);
      }
      continue;
    }
    st.first_cell = st.n_used;
    for (uint32_t t = 0; t < n; ++t) st.pos.push_back(n_past_ + t);
    if (scored) {
      for (float& v : st.scores) v *= decay;
      st.scores.resize(st.n_used + n, 0.0f);
    }
    st.n_used += n;
    st.high_water = std::max(st.high_water, st.n_used);
  }
  ubatch_n_ = n;
  in_ubatch_ = true;
}

uint32_t KvCache::cell_for(uint32_t layer, uint32_t t) const {
  const LayerKvSpec& s = specs_[layer];
  return s.ring ? (n_past_ + t) % s.max_positions : stores_[layer].first_cell + t;
}

void KvCache::store(uint32_t layer, uint32_t t, uint32_t h, const float* k, const float* v) {
  const LayerKvSpec& s = specs_[layer];
  LayerStore& st = stores_[layer];
  const uint32_t cell = cell_for(layer, t);
  store_kv_row(options_.k_type, k, row(st.k, st.k_row, layer, cell, h), s.head_dim);
  store_kv_row(options_.v_type, v, row(st.v, st.v_row, layer, cell, h), s.head_dim);
}

void KvCache::end_ubatch() {
  if (!in_ubatch_) fail("no micro-batch in progress");
  n_past_ += ubatch_n_;
  in_ubatch_ = false;
}

uint8_t* KvCache::row(LazyBuffer& buf, uint64_t row_bytes, uint32_t layer, uint32_t cell, uint32_t h) {
  const uint64_t cap = specs_[layer].max_positions;
  return buf.data() + (h * cap + cell) * row_bytes;
}

const uint8_t* KvCache::key(uint32_t layer, uint32_t cell, uint32_t h) const {
  const LayerStore& st = stores_[layer];
  return st.k.data() + (static_cast<uint64_t>(h) * specs_[layer].max_positions + cell) * st.k_row;
}

const uint8_t* KvCache::value(uint32_t layer, uint32_t cell, uint32_t h) const {
  const LayerStore& st = stores_[layer];
  return st.v.data() + (static_cast<uint64_t>(h) * specs_[layer].max_positions + cell) * st.v_row;
}

uint32_t KvCache::span(uint32_t layer) const {
  const LayerKvSpec& s = specs_[layer];
  const LayerStore& st = stores_[layer];
  uint32_t used = st.n_used;
  if (s.ring) {
    used = static_cast<uint32_t>(st.pos.size());
    while (used > 0 && st.pos[used - 1] == kNoPosition) --used;
  }
  return std::min({round_up(std::max(used, 1u), 256), s.max_positions, n_ctx_});
}

float KvCache::score_weight(uint32_t t) const {
  return static_cast<float>(std::pow(plan_.decay, static_cast<double>(ubatch_n_ - 1 - t)));
}

uint64_t KvCache::bytes_for(uint32_t positions) const {
  uint64_t total = 0;
  for (size_t l = 0; l < specs_.size(); ++l) {
    const LayerKvSpec& s = specs_[l];
    if (!s.owns) continue;
    const uint64_t stored = s.ring ? s.max_positions : std::min(positions, s.max_positions);
    total += stored * s.n_kv_heads * (stores_[l].k_row + stores_[l].v_row);
  }
  return total;
}

KvBytes KvCache::allocated_bytes() const {
  KvBytes b;
  const uint64_t page = LazyBuffer::page_size();
  for (size_t l = 0; l < specs_.size(); ++l) {
    const LayerKvSpec& s = specs_[l];
    const LayerStore& st = stores_[l];
    if (!s.owns) continue;
    uint64_t bytes = 0;
    for (uint64_t row_bytes : {st.k_row, st.v_row}) {
      bytes += s.n_kv_heads * ((st.high_water * row_bytes + page - 1) / page * page);
    }
    (s.ring ? b.sliding : b.full) += bytes;
  }
  return b;
}

KvBytes KvCache::full_bytes() const {
  KvBytes b;
  for (size_t l = 0; l < specs_.size(); ++l) {
    const LayerKvSpec& s = specs_[l];
    if (!s.owns) continue;
    const uint64_t bytes = static_cast<uint64_t>(s.max_positions) * s.n_kv_heads * (stores_[l].k_row + stores_[l].v_row);
    (s.ring ? b.sliding : b.full) += bytes;
  }
  return b;
}

uint64_t KvCache::metadata_bytes() const {
  uint64_t total = 0;
  for (const LayerStore& st : stores_) total += st.pos.capacity() * sizeof(uint32_t) + st.scores.capacity() * sizeof(float);
  return total;
}

}  // namespace edgelm
