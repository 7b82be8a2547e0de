#pragma once
// Finds special tokens (control, user-defined, unknown) written literally in text,
// before the text is tokenized, with the reference runtime's precedence.
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace edgelm {

struct TextFragment {
  int32_t token = -1;  // a matched special token, or -1 for a run of raw text
  size_t begin = 0;    // raw text: byte range in the input
  size_t end = 0;
};

class SpecialTokenMatcher {
 public:
  explicit SpecialTokenMatcher(const Vocab& vocab);

  // Splits `text` into raw-text runs and special tokens. Semantics of the reference
  // runtime: the special tokens are taken one at a time, longest text first; each
  // claims, left to right, every non-overlapping occurrence lying entirely in text not
  // yet claimed. With `parse_special` false, control and unknown tokens are not
  // matched (user-defined ones still are).
  std::vector<TextFragment> partition(std::string_view text, bool parse_special) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // byte -> node, sorted by byte
    int32_t order = -1;  // position in order_ of the token ending here (first, if several)
  };
  int32_t child(int32_t node, uint8_t byte) const;

  const Vocab& vocab_;
  std::vector<int32_t> order_;  // special token ids in matching precedence
  std::vector<Node> trie_;
  bool starts_[256] = {};  // bytes some special token starts with
};

}  // namespace edgelm
