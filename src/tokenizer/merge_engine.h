#pragma once
// The agglomerative loop shared by BPE and SentencePiece: split a word into
// characters, then keep merging the best-scoring adjacent pair (ties: the leftmost)
// until no adjacent pair scores. Both reference tokenizers use this exact order, so
// the same loop reproduces both; only the scoring differs.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "tokenizer/utf8.h"

namespace edgelm {

struct MergeSymbol {
  uint32_t start = 0;  // byte offset in the word
  uint32_t len = 0;    // 0 once merged into its left neighbour
  int32_t id = -1;     // scorer's id of the symbol's text (-1: none)
  int32_t prev = -1;
  int32_t next = -1;
};

// Scorer concept:
//   int32_t id_of(std::string_view text) const;            // id of a symbol text, -1 if none
//   std::optional<Key> score(const MergeSymbol& left, const MergeSymbol& right,
//                            std::string_view joined) const; // lower is better
template <typename Key>
struct MergeCandidate {
  Key key;
  int32_t left;
  int32_t right;
  uint32_t len;  // left.len + right.len when queued; a mismatch later means stale
};

// Reusable buffers, so a long text split into many words allocates once.
template <typename Key>
struct MergeScratch {
  std::vector<MergeSymbol> symbols;
  std::vector<MergeCandidate<Key>> heap;
};

// Merges `word`; afterwards the live symbols (len > 0) of `scratch.symbols`, in
// index order, are the pieces.
template <typename Key, typename Scorer>
void merge_word(std::string_view word, const Scorer& scorer, MergeScratch<Key>& scratch) {
  auto& syms = scratch.symbols;
  auto& heap = scratch.heap;
  syms.clear();
  heap.clear();
  for (size_t off = 0; off < word.size();) {
    const size_t len = std::min(word.size() - off, utf8::length_from_lead(static_cast<uint8_t>(word[off])));
    MergeSymbol s;
    s.start = static_cast<uint32_t>(off);
    s.len = static_cast<uint32_t>(len);
    s.id = scorer.id_of(word.substr(off, len));
    s.prev = static_cast<int32_t>(syms.size()) - 1;
    off += len;
    s.next = off == word.size() ? -1 : static_cast<int32_t>(syms.size()) + 1;
    syms.push_back(s);
  }

  // Heap order: the top is the lowest key, then the lowest left index.
  const auto worse = [](const MergeCandidate<Key>& a, const MergeCandidate<Key>& b) {
    return a.key > b.key || (a.key == b.key && a.left > b.left);
  };
  const auto offer = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const MergeSymbol& l = syms[static_cast<size_t>(left)];
    const MergeSymbol& r = syms[static_cast<size_t>(right)];
    const std::string_view joined = word.substr(l.start, l.len + r.len);
    if (const std::optional<Key> key = scorer.score(l, r, joined)) {
      heap.push_back({*key, left, right, l.len + r.len});
      std::push_heap(heap.begin(), heap.end(), worse);
    }
  };

  for (size_t i = 1; i < syms.size(); ++i) offer(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), worse);
    const MergeCandidate<Key> c = heap.back();
    heap.pop_back();
    MergeSymbol& l = syms[static_cast<size_t>(c.left)];
    MergeSymbol& r = syms[static_cast<size_t>(c.right)];
    if (l.len == 0 || r.len == 0 || l.len + r.len != c.len) continue;  // a neighbour changed since
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) syms[static_cast<size_t>(r.next)].prev = c.left;
    l.id = scorer.id_of(word.substr(l.start, l.len));
    offer(l.prev, c.left);
    offer(c.left, l.next);
  }
}

}  // namespace edgelm
