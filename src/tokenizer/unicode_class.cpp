#include "tokenizer/unicode_class.h"

#include <unicode/uchar.h>

#include <array>

namespace edgelm {

namespace {

// Unicode version the reference runtime's character tables were generated from.
constexpr UVersionInfo kPinnedVersion = {15, 1, 0, 0};

bool newer_than_pinned(const UVersionInfo age) {
  for (int i = 0; i < U_MAX_VERSION_LENGTH; ++i) {
    if (age[i] != kPinnedVersion[i]) return age[i] > kPinnedVersion[i];
  }
  return false;
}

// Letters added in Unicode 15.1 (CJK Unified Ideographs Extension I), which an ICU
// built for Unicode 15.0 (Debian 12's ICU 72) reports as unassigned. The other 15.1
// additions (U+2FFC..2FFF, U+31EF) are symbols, which the rules treat like unassigned.
bool is_unicode_15_1_letter(uint32_t cp) { return cp >= 0x2EBF0 && cp <= 0x2EE5D; }

CharClass classify_with_icu(uint32_t cp) {
  CharClass c;
  const auto ch = static_cast<UChar32>(cp);
  const int8_t type = u_charType(ch);
  if (type == U_UNASSIGNED) {
    c.letter = is_unicode_15_1_letter(cp);
    return c;
  }
  UVersionInfo age;
  u_charAge(ch, age);
  if (newer_than_pinned(age)) return c;  // unassigned as far as Unicode 15.1 knows
  switch (type) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      c.letter = true;
      break;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      c.number = true;
      break;
    default:
      break;
  }
  c.whitespace = u_hasBinaryProperty(ch, UCHAR_WHITE_SPACE) != 0;
  return c;
}

const std::array<CharClass, 128>& ascii_classes() {
  static const std::array<CharClass, 128> table = [] {
    std::array<CharClass, 128> t{};
    for (uint32_t cp = 0; cp < 128; ++cp) t[cp] = classify_with_icu(cp);
    return t;
  }();
  return table;
}

}  // namespace

CharClass classify(uint32_t cp) {
  if (cp < 128) return ascii_classes()[cp];
  if (cp > 0x10FFFF) return {};
  return classify_with_icu(cp);
}

}  // namespace edgelm
