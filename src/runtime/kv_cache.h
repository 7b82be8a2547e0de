#pragma once
// K/V storage of one sequence (docs/kv-cache.md). Only layers that own KV have storage
// (KV-shared layers read their donor's and cost nothing).
//
// Cells. The cell layout is llama.cpp's, because the order attention sums over cells
// fixes the last bits of f16 results and our f16 parity depends on it:
//  - a sliding-window layer is a ring, position p in cell p % size, sized like
//    llama.cpp's SWA cache: the window plus a micro-batch, rounded up to 256 cells, but
//    no more than the context (then p is in cell p, as in a full layer, until the
//    sequence passes the context, which only an evicting policy lets it do; the ring
//    is then widened to hold its window);
//  - a full-attention layer appends: until the first eviction position p is in cell p.
// Every cell records the position it holds. An eviction (kv_policy.h) removes cells of
// the full layers and compacts the rest downwards, so cells stay in position order and
// kept entries keep their absolute positions (their keys were rotated at those
// positions when written); new tokens continue at increasing positions.
//
// Storage types: K and V rows each in f16, bf16, q8_0 or q4_0 (kv_types.h), laid out
// [kv head][cell][row] so that one head's keys are rows of a matrix. Memory is reserved
// as address space for the whole context and committed page by page as cells fill
// (util/lazy_buffer.h): a short chat with a 128K context costs a few pages.
//
// Use per micro-batch of n tokens at positions n_past() .. n_past()+n-1:
//   begin_ubatch(n)   evicts if the policy must, gives the positions cells
//   store(...)        writes each layer's rows
//   attention over the cache (runtime/attention.h)
//   end_ubatch()      the positions now count as past
#include <cstdint>
#include <span>
#include <vector>

#include "quant/tensor_type.h"
#include "runtime/kv_policy.h"
#include "util/lazy_buffer.h"

namespace edgelm {

struct LayerKvSpec {
  bool owns = false;      // false: this layer stores nothing
  bool ring = false;      // sliding-window layer: cell = position % capacity
  uint32_t n_kv_heads = 0;
  uint32_t head_dim = 0;
  uint32_t max_positions = 0;  // cells: the ring size, or the context size for full layers
  uint32_t window = 0;         // ring layers: positions a query sees, itself included
};

struct KvCacheOptions {
  TensorType k_type = TensorType::F16;
  TensorType v_type = TensorType::F16;
  KvPolicyOptions policy;  // none unless chosen
};

// Bytes of K and V together, by kind of layer.
struct KvBytes {
  uint64_t full = 0;     // full-attention layers
  uint64_t sliding = 0;  // ring layers
  uint64_t total() const { return full + sliding; }
};

class KvCache {
 public:
  static constexpr uint32_t kNoPosition = UINT32_MAX;

  // `max_batch`: the most positions appended in one step (ring buffers hold the window
  // behind the oldest of them plus the step itself). f16 K and V, no eviction policy.
  KvCache(std::vector<LayerKvSpec> layers, uint32_t n_ctx, uint32_t max_batch);

  // Storage types and policy; only before anything is stored (throws edgelm::Error
  // otherwise, or when a head dimension does not suit a type or the context the policy).
  void configure(const KvCacheOptions& options);
  const KvCacheOptions& options() const { return options_; }
  const KvPolicyPlan& policy() const { return plan_; }

  uint32_t n_ctx() const { return n_ctx_; }
  uint32_t max_batch() const { return max_batch_; }
  uint32_t n_layers() const { return static_cast<uint32_t>(specs_.size()); }
  const LayerKvSpec& spec(uint32_t layer) const { return specs_[layer]; }
  // The next position: positions [0, n_past) have been processed (some may since have
  // been evicted from the full layers).
  uint32_t n_past() const { return n_past_; }
  // The most tokens one micro-batch may append (the policy keeps room for them).
  uint32_t max_ubatch() const;
  // Whether sequences can run past n_ctx positions (an evicting policy).
  bool evicts() const { return plan_.policy != KvPolicy::none; }
  // Throws edgelm::Error ("context full") when `n_tokens` more cannot be appended.
  void check_room(uint64_t n_tokens) const;

  // Whether the sequence can be cut back to its first `n` positions and continued from
  // there. Full layers keep every position they still hold; a ring buffer has
  // overwritten positions older than n_past - ring size, and the token at position n
  // needs the window of positions before it. Cutting to 0 is always possible.
  bool can_truncate(uint32_t n) const;
  // Cuts the sequence back to `n` positions (throws edgelm::Error when !can_truncate(n)).
  void truncate(uint32_t n);
  // Moves n_past on by `n` positions that are never stored: later tokens see a gap
  // (tests compare an eviction with a sequence that never had the evicted tokens).
  void skip_positions(uint32_t n);

  // Drops positions [first, last) from every full layer, as an eviction does (the
  // policies choose cells themselves; this is the same operation by hand).
  void evict_positions(uint32_t first, uint32_t last);

  // ---- one micro-batch -------------------------------------------------------------
  void begin_ubatch(uint32_t n);
  // Stores the rows of kv head `h` for the ubatch's token `t` (position n_past() + t).
  void store(uint32_t layer, uint32_t t, uint32_t h, const float* k, const float* v);
  void end_ubatch();
  uint32_t ubatch_size() const { return ubatch_n_; }

  // ---- reading (attention) ---------------------------------------------------------
  TensorType k_type() const { return options_.k_type; }
  TensorType v_type() const { return options_.v_type; }
  uint64_t k_row_bytes(uint32_t layer) const { return stores_[layer].k_row; }
  uint64_t v_row_bytes(uint32_t layer) const { return stores_[layer].v_row; }
  // Row `cell` of kv head `h`; rows of consecutive cells are k_row_bytes apart.
  const uint8_t* key(uint32_t layer, uint32_t cell, uint32_t h) const;
  const uint8_t* value(uint32_t layer, uint32_t cell, uint32_t h) const;
  // Positions of cells [0, n) where n is the layer's cell count (kNoPosition: empty).
  std::span<const uint32_t> cell_positions(uint32_t layer) const { return stores_[layer].pos; }
  // Full layers: cells [0, n_used) are occupied, in increasing position order.
  uint32_t n_used(uint32_t layer) const { return stores_[layer].n_used; }
  // Cells a layer can ever have (ring size, or the context size).
  uint32_t cell_capacity(uint32_t layer) const { return specs_[layer].max_positions; }
  // llama.cpp's n_kv: the cells its attention spans (used cells rounded up to 256,
  // within the capacity); decides the lanes of the f16 summation order.
  uint32_t span(uint32_t layer) const;

  // Attention statistics (attention policy, full layers): null when not kept.
  float* scores(uint32_t layer) { return stores_[layer].scores.empty() ? nullptr : stores_[layer].scores.data(); }
  std::span<const float> cell_scores(uint32_t layer) const { return stores_[layer].scores; }
  // Weight of the ubatch's token t's attention in the scores (later tokens weigh more).
  float score_weight(uint32_t t) const;

  // ---- accounting ------------------------------------------------------------------
  // Bytes of K and V storage committed so far (pages written).
  KvBytes allocated_bytes() const;
  // Bytes K and V take with every cell filled: the context's worth.
  KvBytes full_bytes() const;
  // Bytes K and V take once `positions` positions are stored: full layers hold every
  // position, ring buffers their whole ring. Allocates nothing (edgelm compare's plans).
  uint64_t bytes_for(uint32_t positions) const;
  // Bookkeeping beside the rows (positions, scores), as allocated.
  uint64_t metadata_bytes() const;
  uint64_t evictions() const { return evictions_; }
  uint64_t evicted_cells() const { return evicted_cells_; }

 private:
  struct LayerStore {
    LazyBuffer k, v;             // [kv head][capacity][row]
    uint64_t k_row = 0, v_row = 0;
    std::vector<uint32_t> pos;   // per cell (full layers: n_used entries; rings: capacity)
    std::vector<float> scores;   // per cell, attention policy on full layers
    uint32_t n_used = 0;         // full layers
    uint32_t first_cell = 0;     // full layers: the current ubatch's first cell
    uint32_t high_water = 0;     // cells ever written (committed memory)
  };

  uint8_t* row(LazyBuffer& buf, uint64_t row_bytes, uint32_t layer, uint32_t cell, uint32_t h);
  void allocate(uint32_t layer);
  void make_room(uint32_t n);
  void evict(uint32_t layer, const std::vector<uint32_t>& cells);
  uint32_t cell_for(uint32_t layer, uint32_t t) const;
  bool stored_anything() const;

  std::vector<LayerKvSpec> specs_;
  std::vector<LayerStore> stores_;
  KvCacheOptions options_;
  KvPolicyPlan plan_;
  uint32_t n_ctx_;
  uint32_t max_batch_;
  uint32_t n_past_ = 0;
  uint32_t ubatch_n_ = 0;
  bool in_ubatch_ = false;
  uint64_t evictions_ = 0, evicted_cells_ = 0;
};

}  // namespace edgelm
