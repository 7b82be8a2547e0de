#pragma once
// Text and number semantics of JavaScript, on UTF-8 strings.
//
// The reference renderer (@huggingface/jinja) is a JavaScript program: its strings are
// UTF-16, `trim` strips JavaScript's white space set, numbers are doubles printed by
// Number#toString, `tojson` is JSON.stringify. Rendering byte-identical prompts needs
// exactly those rules, so they live here, in one place, for the interpreter to use.
// All strings handled here are valid UTF-8 (sanitize_utf8 makes them so at the edges).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace edgelm::jinja::js {

// Decodes the code point starting at s[i] and advances i. Input must be valid UTF-8.
char32_t next_code_point(std::string_view s, size_t& i);
void append_utf8(std::string& out, char32_t cp);

// Replaces ill-formed UTF-8 with U+FFFD, one per maximal subpart (as TextDecoder does).
std::string sanitize_utf8(std::string_view s);

// JavaScript's WhiteSpace and LineTerminator code points (what /\s/ and trim() match).
bool is_space(char32_t cp);
// Length in bytes of the white space character at s[i], 0 when there is none.
size_t space_length_at(std::string_view s, size_t i);
// String#trim / trimStart / trimEnd.
std::string_view trim(std::string_view s, bool start = true, bool end = true);

// String#length: UTF-16 code units.
size_t utf16_length(std::string_view s);
// The UTF-16 code unit at `index` (JavaScript String#at semantics: negative counts
// from the end) as a string; a lone half of a surrogate pair becomes U+FFFD, which is
// how it reaches UTF-8 output. Returns false when out of range.
bool char_at(std::string_view s, double index, std::string& out);
// Array.from(s): one string per code point.
std::vector<std::string> code_points(std::string_view s);
// Compares as JavaScript's < does: by UTF-16 code units.
int compare_utf16(std::string_view a, std::string_view b);

// String#toUpperCase / toLowerCase (full Unicode case mapping, locale independent).
std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);

// Number#toString (shortest round trip, exponent past 1e21 / below 1e-6).
std::string number_to_string(double v);
// What @huggingface/jinja prints for a float: "2.0" for integral values, "-0.0" for -0.
std::string float_to_string(double v);
// JSON.stringify of a string (quotes, escapes control characters, keeps non-ASCII).
std::string json_quote(std::string_view s);
// Escapes every UTF-16 unit from U+007F up as \uxxxx (tojson's ensure_ascii).
std::string ascii_escape(std::string_view json);

// parseInt(s, 10) and parseFloat(s); NaN when no number starts the string.
double parse_int(std::string_view s);
double parse_float(std::string_view s);
// Number(s), the conversion loose equality applies to strings.
double string_to_number(std::string_view s);

}  // namespace edgelm::jinja::js
