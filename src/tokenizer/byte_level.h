#pragma once
// GPT-2's byte-level alphabet: each byte is written as one printable code point
// (printable Latin-1 bytes as themselves, the other 68 bytes as U+0100..U+0143 in byte
// order), so byte strings can be BPE-merged as text.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgelm::byte_level {

// The UTF-8 text of byte `b`'s code point.
std::string_view encode_byte(uint8_t b);

// Appends the byte-level text of every byte of `bytes`.
void encode(std::string_view bytes, std::string& out);

// The byte a code point stands for, or nullopt if it is not in the alphabet.
std::optional<uint8_t> decode_code_point(uint32_t cp);

}  // namespace edgelm::byte_level
