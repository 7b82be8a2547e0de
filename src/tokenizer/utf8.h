#pragma once
// UTF-8 helpers with llama.cpp's tokenizer semantics: the tokenizers must treat bytes
// exactly as the reference runtime does, including its leniency (overlong forms and
// surrogates decode; a byte that starts no complete sequence becomes U+FFFD).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgelm::utf8 {

inline constexpr uint32_t kReplacement = 0xFFFD;

// Length of the sequence a byte starts, judged by its high nibble alone (1 for ASCII
// and for stray continuation bytes, 2/3/4 for lead bytes). Tokenizers split text into
// "characters" this way, clamping the last one at the end of the text.
inline size_t length_from_lead(uint8_t byte) {
  static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[byte >> 4];
}

// Code points of `text`. A lead byte whose continuation bytes are missing or wrong, a
// stray continuation byte and 0xF8..0xFF each become one U+FFFD and consume one byte.
// Overlong forms, surrogates and values up to 0x1FFFFF decode as written.
std::vector<uint32_t> decode_lenient(std::string_view text);

// Appends the UTF-8 form of `cp`; values above U+10FFFF (which decode_lenient can
// produce) are written as U+FFFD.
void append(std::string& out, uint32_t cp);

// Length of the complete, well-formed (RFC 3629) sequence at the start of `bytes`;
// 0 when `bytes` (non-empty) is a proper prefix of a well-formed sequence, so more
// bytes could complete it; -k when no continuation can: the first k bytes are the
// maximal ill-formed subpart (Unicode's unit of replacement by one U+FFFD).
int well_formed_prefix(std::string_view bytes);

// True when the whole of `text` is well-formed UTF-8.
bool is_well_formed(std::string_view text);

// `text` with each maximal ill-formed subpart (and an incomplete sequence at the end)
// replaced by U+FFFD — what a WHATWG/V8 UTF-8 decoder makes of it.
std::string sanitize(std::string_view text);

}  // namespace edgelm::utf8
