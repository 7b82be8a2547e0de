#include "tokenizer/special_tokens.h"

#include <algorithm>

namespace edgelm {

SpecialTokenMatcher::SpecialTokenMatcher(const Vocab& vocab) : vocab_(vocab) {
  for (size_t id = 0; id < vocab.size(); ++id) {
    if (vocab.has(static_cast<int32_t>(id), kAttrControl | kAttrUserDefined | kAttrUnknown)) {
      order_.push_back(static_cast<int32_t>(id));
    }
  }
  // Longest first. The reference runtime uses std::sort (not stable) with this
  // comparator on ids in ascending order; doing the same yields the same order among
  // equal lengths, which matters only when two such tokens overlap in a text.
  std::sort(order_.begin(), order_.end(), [&](int32_t a, int32_t b) {
    return vocab.texts[static_cast<size_t>(a)].size() > vocab.texts[static_cast<size_t>(b)].size();
  });

  trie_.emplace_back();
  for (size_t k = 0; k < order_.size(); ++k) {
    const std::string& text = vocab.texts[static_cast<size_t>(order_[k])];
    if (text.empty()) continue;
    starts_[static_cast<uint8_t>(text[0])] = true;
    int32_t node = 0;
    for (const char ch : text) {
      const auto byte = static_cast<uint8_t>(ch);
      int32_t next = child(node, byte);
      if (next < 0) {
        next = static_cast<int32_t>(trie_.size());
        auto& kids = trie_[static_cast<size_t>(node)].children;
        kids.insert(std::lower_bound(kids.begin(), kids.end(), std::make_pair(byte, int32_t{-1})),
                    {byte, next});
        trie_.emplace_back();
      }
      node = next;
    }
    if (trie_[static_cast<size_t>(node)].order < 0) trie_[static_cast<size_t>(node)].order = static_cast<int32_t>(k);
  }
}

int32_t SpecialTokenMatcher::child(int32_t node, uint8_t byte) const {
  const auto& kids = trie_[static_cast<size_t>(node)].children;
  const auto it = std::lower_bound(kids.begin(), kids.end(), std::make_pair(byte, int32_t{-1}));
  return it != kids.end() && it->first == byte ? it->second : -1;
}

std::vector<TextFragment> SpecialTokenMatcher::partition(std::string_view text, bool parse_special) const {
  std::vector<TextFragment> out;
  if (text.empty()) return out;

  // Every occurrence of every eligible special token: (precedence, position).
  std::vector<std::pair<int32_t, size_t>> found;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (!starts_[static_cast<uint8_t>(text[pos])]) continue;
    int32_t node = 0;
    for (size_t q = pos; q < text.size(); ++q) {
      node = child(node, static_cast<uint8_t>(text[q]));
      if (node < 0) break;
      const int32_t k = trie_[static_cast<size_t>(node)].order;
      if (k < 0) continue;
      if (!parse_special && vocab_.has(order_[static_cast<size_t>(k)], kAttrControl | kAttrUnknown)) continue;
      found.emplace_back(k, pos);
    }
  }
  if (found.empty()) {
    out.push_back({-1, 0, text.size()});
    return out;
  }
  std::sort(found.begin(), found.end());

  // Claim in precedence order; an occurrence touching claimed bytes is not a match.
  std::vector<uint8_t> claimed(text.size(), 0);
  std::vector<std::pair<size_t, int32_t>> matches;  // (position, token)
  for (const auto& [k, pos] : found) {
    const int32_t id = order_[static_cast<size_t>(k)];
    const size_t len = vocab_.texts[static_cast<size_t>(id)].size();
    if (std::find(claimed.begin() + static_cast<std::ptrdiff_t>(pos),
                  claimed.begin() + static_cast<std::ptrdiff_t>(pos + len), 1) !=
        claimed.begin() + static_cast<std::ptrdiff_t>(pos + len)) {
      continue;
    }
    std::fill(claimed.begin() + static_cast<std::ptrdiff_t>(pos), claimed.begin() + static_cast<std::ptrdiff_t>(pos + len), 1);
    matches.emplace_back(pos, id);
  }
  std::sort(matches.begin(), matches.end());

  size_t cursor = 0;
  for (const auto& [pos, id] : matches) {
    if (pos > cursor) out.push_back({-1, cursor, pos});
    out.push_back({id, pos, pos + vocab_.texts[static_cast<size_t>(id)].size()});
    cursor = pos + vocab_.texts[static_cast<size_t>(id)].size();
  }
  if (cursor < text.size()) out.push_back({-1, cursor, text.size()});
  return out;
}

}  // namespace edgelm
