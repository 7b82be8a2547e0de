#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/utf8.h"

namespace edgelm::byte_level {

namespace {

bool stands_for_itself(uint32_t b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

struct Alphabet {
  std::array<uint32_t, 256> code_point{};
  std::array<std::string, 256> text;
  std::array<int16_t, 0x144> byte_of{};  // code point -> byte, -1 when none

  Alphabet() {
    byte_of.fill(-1);
    uint32_t next_extra = 0x100;
    for (uint32_t b = 0; b < 256; ++b) {
      code_point[b] = stands_for_itself(b) ? b : next_extra++;
      utf8::append(text[b], code_point[b]);
      byte_of[code_point[b]] = static_cast<int16_t>(b);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet a;
  return a;
}

}  // namespace

std::string_view encode_byte(uint8_t b) { return alphabet().text[b]; }

void encode(std::string_view bytes, std::string& out) {
  const Alphabet& a = alphabet();
  for (const char c : bytes) out += a.text[static_cast<uint8_t>(c)];
}

std::optional<uint8_t> decode_code_point(uint32_t cp) {
  const Alphabet& a = alphabet();
  if (cp >= a.byte_of.size() || a.byte_of[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(a.byte_of[cp]);
}

}  // namespace edgelm::byte_level
