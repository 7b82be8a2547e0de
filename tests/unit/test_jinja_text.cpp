// JavaScript text and number semantics (chat/jinja/js_text.h). Expected values follow
// the ECMAScript specification (Number::toString, String#trim's WhiteSpace and
// LineTerminator sets, JSON.stringify's QuoteJSONString, UTF-16 code-unit order) and
// the Unicode "maximal subpart" rule for ill-formed UTF-8; they agree with Node 20.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "chat/jinja/js_text.h"

namespace edgelm::jinja::js {
namespace {

TEST(JsText, NumberToStringLikeJavaScript) {
  EXPECT_EQ(number_to_string(0), "0");
  EXPECT_EQ(number_to_string(-0.0), "0");
  EXPECT_EQ(number_to_string(42), "42");
  EXPECT_EQ(number_to_string(-7), "-7");
  EXPECT_EQ(number_to_string(0.5), "0.5");
  EXPECT_EQ(number_to_string(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(number_to_string(123.456), "123.456");
  EXPECT_EQ(number_to_string(1e20), "100000000000000000000");
  EXPECT_EQ(number_to_string(1e21), "1e+21");          // exponent form from 21 digits
  EXPECT_EQ(number_to_string(1.5e300), "1.5e+300");
  EXPECT_EQ(number_to_string(0.000001), "0.000001");   // fixed down to 1e-6 ...
  EXPECT_EQ(number_to_string(1e-7), "1e-7");           // ... exponent below
  EXPECT_EQ(number_to_string(1.5e-7), "1.5e-7");
  EXPECT_EQ(number_to_string(9007199254740993.0), "9007199254740992");
  EXPECT_EQ(number_to_string(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(number_to_string(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(number_to_string(std::nan("")), "NaN");
}

TEST(JsText, FloatsPrintWithAFractionWhenIntegral) {
  EXPECT_EQ(float_to_string(2), "2.0");
  EXPECT_EQ(float_to_string(-3), "-3.0");
  EXPECT_EQ(float_to_string(-0.0), "-0.0");
  EXPECT_EQ(float_to_string(2.5), "2.5");
  EXPECT_EQ(float_to_string(1e20), "100000000000000000000.0");
  EXPECT_EQ(float_to_string(1e21), "1e+21");  // toFixed falls back to toString
}

TEST(JsText, TrimUsesJavaScriptWhiteSpace) {
  EXPECT_EQ(trim(" \t\n\v\f\r x y \r\n"), "x y");
  EXPECT_EQ(trim("\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeffx\u00a0"), "x");
  EXPECT_EQ(trim("\u200bx\u200b"), "\u200bx\u200b");  // zero-width space is not white space
  EXPECT_EQ(trim("  x  ", true, false), "x  ");
  EXPECT_EQ(trim("  x  ", false, true), "  x");
  EXPECT_EQ(trim("\u3000"), "");
}

TEST(JsText, LengthCountsUtf16Units) {
  EXPECT_EQ(utf16_length(""), 0u);
  EXPECT_EQ(utf16_length("abc"), 3u);
  EXPECT_EQ(utf16_length("é"), 1u);
  EXPECT_EQ(utf16_length("日本"), 2u);
  EXPECT_EQ(utf16_length("😀"), 2u);  // a surrogate pair
}

TEST(JsText, CharAtIndexesUtf16Units) {
  std::string c;
  ASSERT_TRUE(char_at("aé😀", 1, c));
  EXPECT_EQ(c, "é");
  ASSERT_TRUE(char_at("aé😀", -1, c));
  EXPECT_EQ(c, "\uFFFD");  // the low half of the emoji, written as UTF-8 by Node
  EXPECT_FALSE(char_at("ab", 2, c));
  EXPECT_FALSE(char_at("ab", -3, c));
}

TEST(JsText, CompareByUtf16Units) {
  EXPECT_LT(compare_utf16("a", "b"), 0);
  EXPECT_LT(compare_utf16("B", "a"), 0);
  EXPECT_LT(compare_utf16("ab", "abc"), 0);
  EXPECT_EQ(compare_utf16("x", "x"), 0);
  // U+FFFF is one unit 0xFFFF; U+10000 starts with 0xD800, so it sorts first.
  EXPECT_GT(compare_utf16("\uffff", "\U00010000"), 0);
  EXPECT_LT(compare_utf16("\ud7ff", "\U00010000"), 0);
}

TEST(JsText, CaseMappingIsFullUnicode) {
  EXPECT_EQ(to_upper("straße"), "STRASSE");
  EXPECT_EQ(to_upper("ǆ"), "Ǆ");
  EXPECT_EQ(to_lower("ΣΊΣΥΦΟΣ"), "σίσυφος");  // final sigma
  EXPECT_EQ(to_lower("ABC"), "abc");
}

TEST(JsText, JsonQuoteLikeJsonStringify) {
  EXPECT_EQ(json_quote("plain"), "\"plain\"");
  EXPECT_EQ(json_quote("q\"b\\s/"), "\"q\\\"b\\\\s/\"");
  EXPECT_EQ(json_quote("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(json_quote(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\x7f\"");
  EXPECT_EQ(json_quote("é😀\u2028"), "\"é😀\u2028\"");  // non-ASCII stays as it is
  EXPECT_EQ(ascii_escape("\"é😀\x7f\""), "\"\\u00e9\\ud83d\\ude00\\u007f\"");
}

TEST(JsText, ParseNumbersLikeJavaScript) {
  EXPECT_EQ(parse_int("42abc"), 42);
  EXPECT_EQ(parse_int("  -7.9"), -7);
  EXPECT_TRUE(std::isnan(parse_int("abc")));
  EXPECT_EQ(parse_int("0x1A"), 0);  // base 10: stops at 'x'
  EXPECT_EQ(parse_float("2.5e1x"), 25);
  EXPECT_EQ(parse_float(".5"), 0.5);
  EXPECT_TRUE(std::isinf(parse_float("-Infinity and more")));
  EXPECT_TRUE(std::isnan(parse_float("e5")));
  EXPECT_EQ(string_to_number(" 12 "), 12);
  EXPECT_EQ(string_to_number(""), 0);
  EXPECT_EQ(string_to_number("0x10"), 16);
  EXPECT_TRUE(std::isnan(string_to_number("12px")));
}

TEST(JsText, SanitizeReplacesEachMaximalSubpart) {
  EXPECT_EQ(sanitize_utf8("ok é 😀"), "ok é 😀");
  EXPECT_EQ(sanitize_utf8("a\xC0z"), "a\uFFFDz");             // never a lead byte
  EXPECT_EQ(sanitize_utf8("a\xE0\x80z"), "a\uFFFD\uFFFDz");   // E0 needs A0..BF next
  EXPECT_EQ(sanitize_utf8("a\xF0\x9F\x98z"), "a\uFFFDz");     // truncated 4-byte sequence
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");  // a surrogate
  EXPECT_EQ(sanitize_utf8("end\xE2\x82"), "end\uFFFD");
}

}  // namespace
}  // namespace edgelm::jinja::js
