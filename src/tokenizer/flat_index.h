#pragma once
// Lookup structures for the tokenizer's hot paths (text -> id over a few hundred
// thousand tokens, merge pair -> rank over half a million merges). Both are flat
// arrays: loading a vocabulary does about a million lookups, and node-based maps made
// that a cache miss or three each.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace edgelm {

// Index of texts held elsewhere (by id): find() takes the same text list it was
// built from, so the index stays valid when that list is moved.
class TextIndex {
 public:
  // Indexes texts[0..n); a text that occurs twice maps to its last id.
  void build(const std::vector<std::string>& texts);
  // Adds texts[id] (the latest id for a repeated text wins).
  void insert(const std::vector<std::string>& texts, int32_t id);
  int32_t find(std::string_view text, const std::vector<std::string>& texts) const;

 private:
  static uint32_t hash(std::string_view text) {
    const uint64_t h = std::hash<std::string_view>{}(text);
    return static_cast<uint32_t>(h ^ (h >> 32)) | 1u;  // never 0: 0 marks an empty slot
  }
  void grow();

  std::vector<uint64_t> slots_;  // (hash << 32) | id, 0 when empty
  size_t count_ = 0;
};

// Ranks of id pairs, stored as one sorted row of (right id, rank) per left id: built
// with sequential passes and looked up by a short binary search, both cache-friendly
// for half a million merges (a hash table of them costs a cache miss per insert).
class PairRanks {
 public:
  struct Entry {
    int32_t left;
    int32_t right;
    int32_t rank;
  };
  // Ids must lie in [0, n_ids). A pair listed twice keeps its lower rank.
  void build(size_t n_ids, const std::vector<Entry>& entries);
  // The rank, or -1 when the pair is not listed.
  int32_t find(int32_t left, int32_t right) const;
  size_t size() const { return cells_.size(); }

 private:
  std::vector<uint32_t> row_start_;                  // n_ids + 1 offsets into cells_
  std::vector<std::pair<int32_t, int32_t>> cells_;  // (right, rank), rows sorted by right
};

}  // namespace edgelm
