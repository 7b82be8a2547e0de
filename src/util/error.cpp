#include "util/error.h"

namespace edgelm {

std::string printable(std::string_view text, size_t max_len) {
  std::string out;
  size_t i = 0;
  while (i < text.size() && out.size() < max_len) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    // Pass whole, valid multi-byte UTF-8 sequences through; escape everything else,
    // including overlong forms, surrogates, code points past U+10FFFF and the C1
    // controls U+0080..U+009F (U+009B is a one-character CSI).
    size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    bool valid = len > 0 && i + len <= text.size();
    for (size_t k = 1; valid && k < len; ++k) valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    if (valid) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      if ((c == 0xc2 && c1 < 0xa0) || (c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) ||
          (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90)) {
        valid = false;
      }
    }
    if (valid && c >= 0x80) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    }
  }
  if (i < text.size()) out += "...";
  return out;
}

}  // namespace edgelm
