#include "chat/jinja/js_text.h"

#include <fmt/format.h>
#include <unicode/ustring.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "util/error.h"

namespace edgelm::jinja::js {

namespace {

bool is_continuation(unsigned char c) { return (c & 0xc0) == 0x80; }

// Second-byte range of a well-formed sequence for each lead byte (Unicode table 3-7).
bool second_byte_ok(unsigned char lead, unsigned char c) {
  if (lead == 0xe0) return c >= 0xa0 && c <= 0xbf;
  if (lead == 0xed) return c >= 0x80 && c <= 0x9f;
  if (lead == 0xf0) return c >= 0x90 && c <= 0xbf;
  if (lead == 0xf4) return c >= 0x80 && c <= 0x8f;
  return is_continuation(c);
}

size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;  // never a lead byte
}

std::u16string to_utf16(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const char32_t cp = next_code_point(s, i);
    if (cp < 0x10000) {
      out.push_back(static_cast<char16_t>(cp));
    } else {
      out.push_back(static_cast<char16_t>(0xd800 + ((cp - 0x10000) >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + ((cp - 0x10000) & 0x3ff)));
    }
  }
  return out;
}

std::string from_utf16(const std::u16string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t cp = s[i];
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.size() && s[i + 1] >= 0xdc00 && s[i + 1] <= 0xdfff) {
      cp = 0x10000 + ((cp - 0xd800) << 10) + (s[i + 1] - 0xdc00);
      ++i;
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      cp = 0xfffd;
    }
    append_utf8(out, cp);
  }
  return out;
}

template <typename MapFn>
std::string case_map(std::string_view s, MapFn map) {
  bool ascii = true;
  for (const char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  const std::u16string in = to_utf16(s);
  std::u16string out(in.size() + 16, u'\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    UErrorCode status = U_ZERO_ERROR;
    const int32_t n = map(reinterpret_cast<UChar*>(out.data()), static_cast<int32_t>(out.size()),
                          reinterpret_cast<const UChar*>(in.data()), static_cast<int32_t>(in.size()), "", &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
      out.assign(static_cast<size_t>(n), u'\0');
      continue;
    }
    if (U_FAILURE(status)) fail("case mapping failed: {}", u_errorName(status));
    out.resize(static_cast<size_t>(n));
    return from_utf16(out);
  }
  fail("case mapping failed: buffer size");
}

// Digits and decimal exponent of the shortest round-trip representation of v > 0.
void shortest_digits(double v, std::string& digits, int& exponent) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
  const size_t e = text.find('e');
  digits.clear();
  for (const char c : text.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  exponent = std::atoi(std::string(text.substr(e + 1)).c_str());
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
}

size_t skip_spaces(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = space_length_at(s, i);
    if (n == 0) break;
    i += n;
  }
  return i;
}

size_t count_digits(std::string_view s, size_t i) {
  size_t n = 0;
  while (i + n < s.size() && s[i + n] >= '0' && s[i + n] <= '9') ++n;
  return n;
}

// Length of the longest StrDecimalLiteral prefix of s (sign, Infinity, digits with an
// optional fraction and exponent), 0 when none.
size_t decimal_prefix(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (s.substr(i, 8) == "Infinity") return i + 8;
  const size_t int_digits = count_digits(s, i);
  size_t end = i + int_digits;
  size_t frac_digits = 0;
  if (end < s.size() && s[end] == '.') {
    frac_digits = count_digits(s, end + 1);
    if (int_digits > 0 || frac_digits > 0) end += 1 + frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return 0;
  if (end < s.size() && (s[end] == 'e' || s[end] == 'E')) {
    size_t k = end + 1;
    if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
    const size_t exp_digits = count_digits(s, k);
    if (exp_digits > 0) end = k + exp_digits;
  }
  return end;
}

double decimal_value(std::string_view literal) {
  std::string text(literal);
  const bool negative = !text.empty() && text[0] == '-';
  const size_t sign = !text.empty() && (text[0] == '+' || text[0] == '-') ? 1 : 0;
  if (text.compare(sign, std::string::npos, "Infinity") == 0) {
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  return std::strtod(text.c_str(), nullptr);
}

}  // namespace

char32_t next_code_point(std::string_view s, size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t len = sequence_length(c);
  if (len <= 1 || i + len > s.size()) {
    ++i;
    return len == 1 ? c : 0xfffd;
  }
  char32_t cp = c & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  i += len;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const size_t len = sequence_length(lead);
    if (len == 1) {
      out.push_back(static_cast<char>(lead));
      ++i;
      continue;
    }
    size_t good = len == 0 ? 0 : 1;  // bytes of a well-formed prefix
    while (good > 0 && good < len && i + good < s.size()) {
      const auto c = static_cast<unsigned char>(s[i + good]);
      if (!(good == 1 ? second_byte_ok(lead, c) : is_continuation(c))) break;
      ++good;
    }
    if (len > 0 && good == len) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      i += good == 0 ? 1 : good;
    }
  }
  return out;
}

bool is_space(char32_t cp) {
  switch (cp) {
    case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d: case 0x20: case 0xa0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000: case 0xfeff:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200a;
  }
}

size_t space_length_at(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  size_t next = i;
  const char32_t cp = next_code_point(s, next);
  return is_space(cp) ? next - i : 0;
}

std::string_view trim(std::string_view s, bool start, bool end) {
  if (start) s.remove_prefix(skip_spaces(s));
  if (end) {
    // Walk forward remembering where the last run of white space began.
    size_t i = 0, content_end = 0;
    while (i < s.size()) {
      const size_t n = space_length_at(s, i);
      if (n > 0) {
        i += n;
      } else {
        next_code_point(s, i);
        content_end = i;
      }
    }
    s = s.substr(0, content_end);
  }
  return s;
}

size_t utf16_length(std::string_view s) {
  size_t n = 0;
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (!is_continuation(b)) n += b >= 0xf0 ? 2 : 1;
  }
  return n;
}

bool char_at(std::string_view s, double index, std::string& out) {
  const std::u16string units = to_utf16(s);
  const double n = static_cast<double>(units.size());
  const double k = std::trunc(index) >= 0 ? std::trunc(index) : n + std::trunc(index);
  if (!(k >= 0 && k < n)) return false;
  const char16_t u = units[static_cast<size_t>(k)];
  out.clear();
  append_utf8(out, u >= 0xd800 && u <= 0xdfff ? 0xfffd : u);
  return true;
}

std::vector<std::string> code_points(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    next_code_point(s, i);
    out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

int compare_utf16(std::string_view a, std::string_view b) {
  // UTF-16 order equals code point order except that U+E000..U+FFFF sort above the
  // surrogate pairs of astral code points; map astral code points below that block.
  auto key = [](char32_t cp) -> uint64_t {
    if (cp < 0xd800) return cp;
    if (cp >= 0x10000) return 0xd800 + static_cast<uint64_t>(cp - 0x10000);  // lead surrogate range
    return static_cast<uint64_t>(cp) + 0x110000;                              // U+E000..U+FFFF
  };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const uint64_t ka = key(next_code_point(a, i));
    const uint64_t kb = key(next_code_point(b, j));
    if (ka != kb) return ka < kb ? -1 : 1;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

std::string to_upper(std::string_view s) { return case_map(s, u_strToUpper); }
std::string to_lower(std::string_view s) { return case_map(s, u_strToLower); }

std::string number_to_string(double v) {
  if (std::isnan(v)) return "NaN";
  if (v == 0) return "0";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  if (v < 0) {
    std::string out = "-";
    return out + number_to_string(-v);
  }
  std::string digits;
  int exponent = 0;
  shortest_digits(v, digits, exponent);
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // position of the decimal point relative to the digits
  if (k <= n && n <= 21) return digits + std::string(static_cast<size_t>(n - k), '0');
  if (0 < n && n <= 21) return digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  if (-6 < n && n <= 0) {
    std::string out = "0.";
    out.append(static_cast<size_t>(-n), '0');
    return out + digits;
  }
  const std::string exp = fmt::format("e{}{}", n - 1 >= 0 ? "+" : "-", std::abs(n - 1));
  if (k == 1) return digits + exp;
  return digits.substr(0, 1) + "." + digits.substr(1) + exp;
}

std::string float_to_string(double v) {
  if (v == 0 && std::signbit(v)) return "-0.0";
  // value % 1 === 0 then toFixed(1), which falls back to toString from 1e21 up.
  if (std::isfinite(v) && std::fmod(v, 1.0) == 0 && std::fabs(v) < 1e21) return fmt::format("{:.1f}", v);
  return number_to_string(v);
}

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string ascii_escape(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  size_t i = 0;
  while (i < json.size()) {
    const char32_t cp = next_code_point(json, i);
    if (cp < 0x7f) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x10000) {
      out += fmt::format("\\u{:04x}", static_cast<uint32_t>(cp));
    } else {
      out += fmt::format("\\u{:04x}\\u{:04x}", 0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    }
  }
  return out;
}

double parse_int(std::string_view s) {
  s.remove_prefix(skip_spaces(s));
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const size_t n = count_digits(s, i);
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return std::strtod(std::string(s.substr(0, i + n)).c_str(), nullptr);
}

double parse_float(std::string_view s) {
  s.remove_prefix(skip_spaces(s));
  const size_t n = decimal_prefix(s);
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return decimal_value(s.substr(0, n));
}

double string_to_number(std::string_view s) {
  s = trim(s);
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    const char base_char = static_cast<char>(s[1] | 0x20);
    const int base = base_char == 'x' ? 16 : base_char == 'o' ? 8 : base_char == 'b' ? 2 : 0;
    if (base != 0) {
      double v = 0;
      for (const char c : s.substr(2)) {
        const int d = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : 99;
        if (d >= base) return std::numeric_limits<double>::quiet_NaN();
        v = v * base + d;
      }
      return v;
    }
  }
  if (decimal_prefix(s) != s.size()) return std::numeric_limits<double>::quiet_NaN();
  return decimal_value(s);
}

}  // namespace edgelm::jinja::js
