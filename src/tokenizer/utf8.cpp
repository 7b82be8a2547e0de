#include "tokenizer/utf8.h"

namespace edgelm::utf8 {

namespace {

bool is_continuation(uint8_t b) { return (b & 0xC0) == 0x80; }

}  // namespace

std::vector<uint32_t> decode_lenient(std::string_view text) {
  std::vector<uint32_t> cps;
  cps.reserve(text.size());
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t b0 = s[i];
    size_t len = 0;
    if (b0 < 0x80) {
      len = 1;
    } else if (b0 >= 0xC0 && b0 < 0xF8) {
      len = b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
    }
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) ok = is_continuation(s[i + k]);
    if (!ok) {
      cps.push_back(kReplacement);
      ++i;
      continue;
    }
    uint32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1Fu) : len == 3 ? (b0 & 0x0Fu) : (b0 & 0x07u);
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (s[i + k] & 0x3Fu);
    cps.push_back(cp);
    i += len;
  }
  return cps;
}

void append(std::string& out, uint32_t cp) {
  if (cp > 0x10FFFF) cp = kReplacement;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int well_formed_prefix(std::string_view bytes) {
  if (bytes.empty()) return 0;
  const auto* s = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t b0 = s[0];
  if (b0 < 0x80) return 1;
  int len = 0;
  // Allowed range of the second byte (RFC 3629 table: excludes overlongs, surrogates
  // and values above U+10FFFF).
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return -1;
  }
  for (int k = 1; k < len; ++k) {
    if (static_cast<size_t>(k) >= bytes.size()) return 0;
    const uint8_t b = s[k];
    if (k == 1 ? (b < lo || b > hi) : !is_continuation(b)) return -k;
  }
  return len;
}

bool is_well_formed(std::string_view text) {
  while (!text.empty()) {
    const int n = well_formed_prefix(text);
    if (n <= 0) return false;
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const int n = well_formed_prefix(text);
    if (n > 0) {
      out.append(text.substr(0, static_cast<size_t>(n)));
      text.remove_prefix(static_cast<size_t>(n));
    } else {
      append(out, kReplacement);
      text.remove_prefix(n < 0 ? static_cast<size_t>(-n) : text.size());
    }
  }
  return out;
}

}  // namespace edgelm::utf8
