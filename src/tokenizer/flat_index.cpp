#include "tokenizer/flat_index.h"

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

void PairMap::reserve(size_t n) {
  if (2 * n > slots_.size()) rehash(capacity_for(n));
}

void PairMap::rehash(size_t capacity) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(capacity, Slot{});
  const size_t mask = capacity - 1;
  for (const Slot& s : old) {
    if (s.key == kEmpty) continue;
    size_t i = mix(s.key) & mask;
    while (slots_[i].key != kEmpty) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void PairMap::insert_if_absent(uint64_t key, int32_t value) {
  if (2 * (count_ + 1) > slots_.size()) rehash(capacity_for(count_ + 1) * 2);
  const size_t mask = slots_.size() - 1;
  for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.key == key) return;
    if (s.key == kEmpty) {
      s = {key, value};
      ++count_;
      return;
    }
  }
}

int32_t PairMap::find(uint64_t key) const {
  if (slots_.empty()) return -1;
  const size_t mask = slots_.size() - 1;
  for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.key == key) return s.value;
    if (s.key == kEmpty) return -1;
  }
}

}  // namespace edgelm
