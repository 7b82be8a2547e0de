#include "tokenizer/flat_index.h"

#include <algorithm>
#include <climits>

namespace edgelm {

namespace {

size_t capacity_for(size_t n) {
  size_t cap = 16;
  while (cap < 2 * n) cap *= 2;  // load factor at most 1/2
  return cap;
}

}  // namespace

void TextIndex::build(const std::vector<std::string>& texts) {
  slots_.assign(capacity_for(texts.size()), 0);
  count_ = 0;
  for (size_t id = 0; id < texts.size(); ++id) insert(texts, static_cast<int32_t>(id));
}

void TextIndex::insert(const std::vector<std::string>& texts, int32_t id) {
  if (2 * (count_ + 1) > slots_.size()) grow();
  const std::string_view text = texts[static_cast<size_t>(id)];
  const uint32_t h = hash(text);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    const auto slot_id = static_cast<uint32_t>(slot);
    if (slot == 0 || (static_cast<uint32_t>(slot >> 32) == h && texts[slot_id] == text)) {
      if (slot == 0) ++count_;
      slots_[i] = (static_cast<uint64_t>(h) << 32) | static_cast<uint32_t>(id);
      return;
    }
  }
}

void TextIndex::grow() {
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(capacity_for(count_ + 1) * 2, 0);
  const size_t mask = slots_.size() - 1;
  for (const uint64_t slot : old) {
    if (slot == 0) continue;
    size_t i = static_cast<uint32_t>(slot >> 32) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

int32_t TextIndex::find(std::string_view text, const std::vector<std::string>& texts) const {
  if (slots_.empty()) return -1;
  const uint32_t h = hash(text);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (slot == 0) return -1;
    if (static_cast<uint32_t>(slot >> 32) == h) {
      const auto id = static_cast<uint32_t>(slot);
      if (texts[id] == text) return static_cast<int32_t>(id);
    }
  }
}

void PairRanks::build(size_t n_ids, const std::vector<Entry>& entries) {
  row_start_.assign(n_ids + 1, 0);
  for (const Entry& e : entries) ++row_start_[static_cast<size_t>(e.left) + 1];
  for (size_t i = 1; i <= n_ids; ++i) row_start_[i] += row_start_[i - 1];
  cells_.resize(entries.size());
  std::vector<uint32_t> fill(row_start_.begin(), row_start_.end() - 1);
  for (const Entry& e : entries) cells_[fill[static_cast<size_t>(e.left)]++] = {e.right, e.rank};
  // Sort each row by (right, rank) and keep the first of equal rights (the lowest rank).
  size_t out = 0;
  for (size_t row = 0; row < n_ids; ++row) {
    const auto begin = cells_.begin() + row_start_[row];
    const auto end = cells_.begin() + row_start_[row + 1];
    std::sort(begin, end);
    row_start_[row] = static_cast<uint32_t>(out);
    for (auto it = begin; it != end; ++it) {
      if (it != begin && it->first == (it - 1)->first) continue;
      cells_[out++] = *it;
    }
  }
  row_start_[n_ids] = static_cast<uint32_t>(out);
  cells_.resize(out);
}

int32_t PairRanks::find(int32_t left, int32_t right) const {
  if (left < 0 || static_cast<size_t>(left) + 1 >= row_start_.size()) return -1;
  const auto begin = cells_.begin() + row_start_[static_cast<size_t>(left)];
  const auto end = cells_.begin() + row_start_[static_cast<size_t>(left) + 1];
  const auto it = std::lower_bound(begin, end, std::make_pair(right, INT32_MIN));
  return it != end && it->first == right ? it->second : -1;
}

}  // namespace edgelm
