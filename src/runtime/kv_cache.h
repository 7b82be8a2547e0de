#pragma once
// K/V storage of one sequence, in f16 like llama.cpp's default cache. Only layers that
// own KV have storage (KV-shared layers read their donor's). Sliding-window layers keep
// a ring buffer of window + ubatch positions; full-attention layers grow with the
// context, allocated as it fills rather than up front.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace edgelm {

struct LayerKvSpec {
  bool owns = false;      // false: this layer stores nothing
  bool ring = false;      // sliding layer: slot = position % capacity
  uint32_t n_kv_heads = 0;
  uint32_t head_dim = 0;
  uint32_t max_positions = 0;  // ring size, or the context size for full layers
  uint32_t window = 0;         // ring layers: positions a query sees, itself included
};

class KvCache {
 public:
  // `max_batch`: the most positions appended in one step (ring buffers hold the window
  // behind the oldest of them plus the step itself).
  KvCache(std::vector<LayerKvSpec> layers, uint32_t n_ctx, uint32_t max_batch);

  uint32_t n_ctx() const { return n_ctx_; }
  uint32_t max_batch() const { return max_batch_; }
  // Positions stored so far (the next token's position).
  uint32_t n_past() const { return n_past_; }
  void set_n_past(uint32_t n) { n_past_ = n; }

  // Whether the sequence can be cut back to its first `n` positions and continued from
  // there. Full layers keep every position; a ring buffer has overwritten positions
  // older than n_past - ring size, and the token at position n needs the window of
  // positions before it. Cutting to 0 (starting over) is always possible.
  bool can_truncate(uint32_t n) const;
  // Cuts the sequence back to `n` positions (throws edgelm::Error when !can_truncate(n)).
  void truncate(uint32_t n);

  // Makes room for positions [0, end) in every layer (full layers grow geometrically).
  void reserve(uint32_t end);

  // Row of kv head `h` at `pos` (head_dim f16 values).
  uint16_t* key(uint32_t layer, uint32_t pos, uint32_t h) { return slot(keys_[layer], layer, pos, h); }
  uint16_t* value(uint32_t layer, uint32_t pos, uint32_t h) { return slot(values_[layer], layer, pos, h); }

  // The cell layout llama.cpp's cache uses, which fixes the order attention sums over:
  // a full layer keeps position p in cell p; a ring keeps it in cell p % capacity.
  // Cells holding positions [0, end) of `layer`:
  uint32_t n_cells(uint32_t layer, uint32_t end) const {
    const LayerKvSpec& s = specs_[layer];
    return s.ring ? std::min(end, s.max_positions) : end;
  }
  // Cells a layer can ever have (ring size, or the context size).
  uint32_t cell_capacity(uint32_t layer) const { return specs_[layer].max_positions; }
  uint32_t cell_of(uint32_t layer, uint32_t pos) const {
    const LayerKvSpec& s = specs_[layer];
    return s.ring ? pos % s.max_positions : pos;
  }
  const uint16_t* key_cell(uint32_t layer, uint32_t cell, uint32_t h) const { return cell_row(keys_[layer], layer, cell, h); }
  const uint16_t* value_cell(uint32_t layer, uint32_t cell, uint32_t h) const {
    return cell_row(values_[layer], layer, cell, h);
  }
  // Bytes currently allocated for K and V.
  uint64_t allocated_bytes() const;
  // Bytes K and V take once `positions` positions are stored: full layers hold every
  // position, ring buffers their whole ring (as reserve() allocates, less its
  // geometric growth). Allocates nothing: for memory plans of long contexts.
  uint64_t bytes_for(uint32_t positions) const;

 private:
  const uint16_t* cell_row(const std::vector<uint16_t>& store, uint32_t layer, uint32_t cell, uint32_t h) const {
    const LayerKvSpec& s = specs_[layer];
    return store.data() + (static_cast<uint64_t>(cell) * s.n_kv_heads + h) * s.head_dim;
  }
  uint16_t* slot(std::vector<uint16_t>& store, uint32_t layer, uint32_t pos, uint32_t h) {
    const LayerKvSpec& s = specs_[layer];
    const uint32_t index = s.ring ? pos % s.max_positions : pos;
    return store.data() + (static_cast<uint64_t>(index) * s.n_kv_heads + h) * s.head_dim;
  }

  std::vector<LayerKvSpec> specs_;
  std::vector<std::vector<uint16_t>> keys_, values_;
  std::vector<uint32_t> capacity_;  // positions allocated per layer
  uint32_t n_ctx_;
  uint32_t max_batch_;
  uint32_t n_past_ = 0;
};

}  // namespace edgelm
