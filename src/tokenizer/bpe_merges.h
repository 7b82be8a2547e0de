#pragma once
// BPE merge ranks (tokenizer.ggml.merges) and the merge loop over one word.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/flat_index.h"
#include "tokenizer/merge_engine.h"
#include "tokenizer/vocab.h"

namespace edgelm {

class BpeMerges {
 public:
  // `merges[i]` is "LEFT RIGHT" with rank i, split at the first space after the first
  // byte; a pair listed twice keeps its lower rank.
  BpeMerges(const Vocab& vocab, const std::vector<std::string_view>& merges);
  BpeMerges(const BpeMerges&) = delete;
  BpeMerges& operator=(const BpeMerges&) = delete;

  using Scratch = MergeScratch<int32_t>;

  // Merges `word` by rank; the live symbols of `scratch.symbols` are the pieces, and a
  // piece's id is its vocabulary id when it is in [0, vocab size), otherwise it has no
  // token.
  void merge(std::string_view word, Scratch& scratch) const { merge_word<int32_t>(word, *this, scratch); }

  size_t n_merges() const { return ranks_.size(); }

  // Scorer interface for merge_word. Symbol ids: vocabulary ids, then ids past the
  // vocabulary for merge parts that are not tokens themselves.
  int32_t id_of(std::string_view text) const;
  std::optional<int32_t> score(const MergeSymbol& left, const MergeSymbol& right, std::string_view joined) const;

 private:
  int32_t intern(std::string_view text);

  const Vocab& vocab_;
  std::vector<std::string> extra_texts_;  // merge parts that are not tokens
  TextIndex extra_index_;
  PairRanks ranks_;
};

}  // namespace edgelm
