#pragma once
// Streaming detokenization for generated tokens.
#include <cstdint>
#include <string>

#include "tokenizer/tokenizer.h"

namespace edgelm {

// Turns ids into text as they arrive, emitting only well-formed UTF-8: a multi-byte
// character split across byte tokens is held back until complete, and bytes that
// cannot form a character come out as U+FFFD (one per maximal ill-formed subpart).
// When the pieces of the ids form well-formed UTF-8, the concatenation of every push()
// and the final flush() equals the concatenation of the pieces — the text llama.cpp
// streams token by token (no leading-space removal, no clean-up of spaces).
// The tokenizer must outlive the decoder.
class StreamDecoder {
 public:
  StreamDecoder(const Tokenizer& tokenizer, bool render_special)
      : tokenizer_(tokenizer), render_special_(render_special) {}

  std::string push(int32_t id);
  // Whatever is held back; an incomplete final sequence is written as U+FFFD.
  std::string flush();

 private:
  std::string take_complete(bool at_end);

  const Tokenizer& tokenizer_;
  bool render_special_;
  std::string pending_;
};

}  // namespace edgelm
