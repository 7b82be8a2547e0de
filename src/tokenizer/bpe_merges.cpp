#include "tokenizer/bpe_merges.h"

namespace edgelm {

BpeMerges::BpeMerges(const Vocab& vocab, const std::vector<std::string_view>& merges) : vocab_(vocab) {
  std::vector<PairRanks::Entry> entries;
  entries.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string_view m = merges[rank];
    const size_t space = m.find(' ', 1);
    if (space == std::string_view::npos) continue;  // not a pair: can never apply
    const int32_t left = intern(m.substr(0, space));
    const int32_t right = intern(m.substr(space + 1));
    entries.push_back({left, right, static_cast<int32_t>(rank)});
  }
  ranks_.build(vocab.size() + extra_texts_.size(), entries);
}

int32_t BpeMerges::intern(std::string_view text) {
  if (const int32_t id = id_of(text); id >= 0) return id;
  extra_texts_.emplace_back(text);
  extra_index_.insert(extra_texts_, static_cast<int32_t>(extra_texts_.size() - 1));
  return static_cast<int32_t>(vocab_.size() + extra_texts_.size() - 1);
}

int32_t BpeMerges::id_of(std::string_view text) const {
  if (const int32_t id = vocab_.find(text); id >= 0) return id;
  if (extra_texts_.empty()) return -1;
  const int32_t extra = extra_index_.find(text, extra_texts_);
  return extra < 0 ? -1 : static_cast<int32_t>(vocab_.size()) + extra;
}

std::optional<int32_t> BpeMerges::score(const MergeSymbol& left, const MergeSymbol& right, std::string_view) const {
  if (left.id < 0 || right.id < 0) return std::nullopt;
  const int32_t rank = ranks_.find(left.id, right.id);
  if (rank < 0) return std::nullopt;
  return rank;
}

}  // namespace edgelm
