#pragma once
// Character classes used by pre-tokenizer rules (\p{L}, \p{N}, \s), from ICU.
// The reference runtime's tables are Unicode 15.1; classify() pins that version so a
// different system ICU cannot change how text is split (see unicode_class.cpp).
#include <cstdint>

namespace edgelm {

struct CharClass {
  bool letter = false;      // general category L* (Lu Ll Lt Lm Lo)
  bool number = false;      // general category N* (Nd Nl No)
  bool whitespace = false;  // the White_Space property
};

CharClass classify(uint32_t cp);

}  // namespace edgelm
