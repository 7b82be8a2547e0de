#pragma once
// Token texts, scores and attributes of a vocabulary, with a text -> id index.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/flat_index.h"

namespace edgelm {

// Token attributes (llama.cpp's llama_token_attr subset). A GGUF token type maps to
// one of them; the loader may add CONTROL to tokens it recognises by text.
enum TokenAttr : uint8_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1 << 0,
  kAttrUnused = 1 << 1,
  kAttrNormal = 1 << 2,
  kAttrControl = 1 << 3,
  kAttrUserDefined = 1 << 4,
  kAttrByte = 1 << 5,
};

// GGUF tokenizer.ggml.token_type values -> attributes.
uint8_t attr_from_token_type(int64_t type);

struct Vocab {
  std::vector<std::string> texts;
  std::vector<float> scores;
  std::vector<uint8_t> attrs;

  // Builds the text index; call once after `texts` is final. A text that occurs
  // twice maps to its last id, as in the reference runtime.
  void build_index();

  size_t size() const { return texts.size(); }
  bool valid(int64_t id) const { return id >= 0 && static_cast<uint64_t>(id) < texts.size(); }
  bool has(int32_t id, uint8_t attr_mask) const { return (attrs[static_cast<size_t>(id)] & attr_mask) != 0; }
  // Id of the token whose text is exactly `text`, or -1.
  int32_t find(std::string_view text) const { return index_.find(text, texts); }

 private:
  TextIndex index_;
};

}  // namespace edgelm
