#pragma once
// Open-addressing hash tables for the tokenizer's hot lookups (text -> id over a few
// hundred thousand tokens, merge pair -> rank over half a million merges). Flat
// arrays with the hash stored beside each id keep a lookup to one or two cache
// misses, which matters: loading a vocabulary does about a million lookups.
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

// Map from a pair of non-negative ids to a value.
class PairMap {
 public:
  static uint64_t key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  void reserve(size_t n);
  // Keeps the first value given for a key.
  void insert_if_absent(uint64_t key, int32_t value);
  // The value, or -1.
  int32_t find(uint64_t key) const;
  size_t size() const { return count_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static size_t mix(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return static_cast<size_t>(key);
  }
  void rehash(size_t capacity);

  struct Slot {
    uint64_t key = kEmpty;
    int32_t value = -1;
  };
  std::vector<Slot> slots_;  // key and value side by side: one cache miss per probe
  size_t count_ = 0;
};

}  // namespace edgelm
