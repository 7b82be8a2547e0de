// Tokenizer rules on tiny synthetic vocabularies, where the expected ids follow by hand
// from the reference algorithms (each expectation's derivation is in its comment), and
// the loader's error messages.
#include <gtest/gtest.h>

#include "tokenizer/llama3_split.h"
#include "tokenizer/utf8.h"
#include "tokenizer_support.h"
#include "util/error.h"

namespace edgelm {
namespace {

using Ids = std::vector<int32_t>;

// SentencePiece merges the highest-scoring pair first, wherever it is.
TEST(TokenizerRules, SentencePieceMergesByScore) {
  test::TempDir dir;
  for (const bool bc_first : {true, false}) {
    test::SyntheticVocab v;
    v.add("<unk>", 2);
    v.add("<s>", 3);
    v.add("</s>", 3);
    const int32_t space = v.add("\xE2\x96\x81");
    const int32_t a = v.add("a");
    const int32_t b = v.add("b");
    const int32_t c = v.add("c");
    const int32_t ab = v.add("ab", 1, bc_first ? -1.0f : -0.5f);
    const int32_t bc = v.add("bc", 1, bc_first ? -0.5f : -1.0f);
    const Tokenizer tok = v.load(dir);
    // "abc" -> "▁abc" (space prefix at the start); symbols ▁ a b c; "▁a" is no token,
    // so the candidates are "ab" and "bc" and the higher score wins; "abc"/"▁ab"/"▁bc"
    // are no tokens, so nothing merges afterwards.
    EXPECT_EQ(tok.encode("abc", false, false), bc_first ? (Ids{space, a, bc}) : (Ids{space, ab, c}));
    (void)b;
  }
}

// Equal scores: the leftmost pair merges first ("aaa" -> "aa" + "a").
TEST(TokenizerRules, SentencePieceTiesGoLeft) {
  test::TempDir dir;
  test::SyntheticVocab v;
  v.add("<unk>", 2);
  v.add("<s>", 3);
  v.add("</s>", 3);
  v.add("\xE2\x96\x81");
  const int32_t a = v.add("a");
  const int32_t aa = v.add("aa");
  v.add_space_prefix = false;
  const Tokenizer tok = v.load(dir);
  EXPECT_EQ(tok.encode("aaa", false, false), (Ids{aa, a}));
}

// Characters without a token fall back to their UTF-8 bytes as <0xXX> tokens.
TEST(TokenizerRules, SentencePieceByteFallback) {
  test::TempDir dir;
  test::SyntheticVocab v;
  v.add("<unk>", 2);
  v.add("<s>", 3);
  v.add("</s>", 3);
  const int32_t space = v.add("\xE2\x96\x81");
  const Tokenizer tok = v.load(dir);
  const int32_t first_byte = 4;  // the byte tokens follow the 4 tokens above
  // "é" = C3 A9; the text is "▁é".
  EXPECT_EQ(tok.encode("\xC3\xA9", false, false), (Ids{space, first_byte + 0xC3, first_byte + 0xA9}));
  EXPECT_EQ(tok.decode(tok.encode("\xC3\xA9", false, false), false), "\xC3\xA9");
}

// BPE applies merges by rank (lower first), leftmost on ties.
TEST(TokenizerRules, BpeMergesByRank) {
  test::TempDir dir;
  for (const bool ab_first : {true, false}) {
    test::SyntheticVocab v;
    v.model = "gemma4";
    v.add("<pad>", 3);
    v.add("<eos>", 3);
    v.add("<bos>", 3);
    const int32_t a = v.add("a");
    v.add("b");
    const int32_t c = v.add("c");
    const int32_t ab = v.add("ab");
    const int32_t bc = v.add("bc");
    v.merges = ab_first ? std::vector<std::string>{"a b", "b c"} : std::vector<std::string>{"b c", "a b"};
    const Tokenizer tok = v.load(dir);
    EXPECT_EQ(tok.encode("abc", false, false), ab_first ? (Ids{ab, c}) : (Ids{a, bc}));
  }
  test::SyntheticVocab v;
  v.model = "gemma4";
  v.add("<pad>", 3);
  const int32_t a = v.add("a");
  const int32_t aa = v.add("aa");
  v.merges = {"a a"};
  const Tokenizer tok = v.load(dir);
  EXPECT_EQ(tok.encode("aaa", false, false), (Ids{aa, a}));
}

// Special tokens are claimed longest first, not left to right: with control tokens
// "ab" and "bcd", "abcd" gives "a" + <bcd> although "ab" starts earlier.
TEST(TokenizerRules, SpecialTokensLongestFirst) {
  test::TempDir dir;
  test::SyntheticVocab v;
  v.add("<unk>", 2);
  v.add("<s>", 3);
  v.add("</s>", 3);
  const int32_t space = v.add("\xE2\x96\x81");
  const int32_t a = v.add("a");
  const int32_t ab = v.add("ab", 3);
  const int32_t bcd = v.add("bcd", 3);
  const int32_t user = v.add("<u>", 4);
  const Tokenizer tok = v.load(dir);
  // "a" is raw text at the start: SentencePiece writes it as "▁a" -> ▁ a.
  EXPECT_EQ(tok.encode("abcd", false, true), (Ids{space, a, bcd}));
  // "abab": both "ab" claimed; control tokens are not matched without special parsing.
  EXPECT_EQ(tok.encode("abab", false, true), (Ids{ab, ab}));
  EXPECT_NE(tok.encode("abab", false, false), (Ids{ab, ab}));
  // A user-defined token is matched either way; the text after a special token gets
  // SentencePiece's space prefix again ("<u>a" -> <u> ▁ a).
  for (const bool special : {true, false}) EXPECT_EQ(tok.encode("<u>a", false, special), (Ids{user, space, a}));
}

TEST(TokenizerRules, Llama3PreTokenizerPieces) {
  const auto pieces = [](const std::string& text) {
    const std::vector<uint32_t> cps = utf8::decode_lenient(text);
    std::vector<std::string> out;
    size_t begin = 0;
    for (const size_t end : split_llama3(cps)) {
      std::string s;
      for (size_t i = begin; i < end; ++i) utf8::append(s, cps[i]);
      out.push_back(s);
      begin = end;
    }
    return out;
  };
  using Pieces = std::vector<std::string>;
  // Letters take one leading non-letter; contractions split off; digits in threes; a
  // space before a digit stands alone; punctuation takes one leading space and trailing
  // newlines; of a run of spaces before a word, the last one goes with the word.
  EXPECT_EQ(pieces("Hello world's 123456 !!\n\n  x"),
            (Pieces{"Hello", " world", "'s", " ", "123", "456", " !!\n\n", " ", " x"}));
  // Case-insensitive contractions; "'x" is not one, the quote prefixes the letters.
  EXPECT_EQ(pieces("WE'VE 'x"), (Pieces{"WE", "'VE", " '", "x"}));
  // Whitespace ending in a newline is one piece up to the last newline; trailing spaces
  // at the very end stay together.
  EXPECT_EQ(pieces("a \t\n b  "), (Pieces{"a", " \t\n", " b", "  "}));
  // \p{N} includes other numbers; \p{L} covers CJK and letters of every script.
  EXPECT_EQ(pieces("½²3 你好"), (Pieces{"½²3", " 你好"}));
}

TEST(TokenizerRules, Utf8LenientDecoding) {
  // Invalid bytes become U+FFFD one byte at a time; overlong forms decode as written.
  EXPECT_EQ(utf8::decode_lenient("a\xFF\xC3"), (std::vector<uint32_t>{'a', 0xFFFD, 0xFFFD}));
  EXPECT_EQ(utf8::decode_lenient("\xC0\x80"), (std::vector<uint32_t>{0}));
  EXPECT_EQ(utf8::decode_lenient("\xE2\x96\x81"), (std::vector<uint32_t>{0x2581}));
  EXPECT_EQ(utf8::sanitize("a\xE2\x82" "b\xFF"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  EXPECT_TRUE(utf8::is_well_formed("\xF0\x9F\x98\x80"));
  EXPECT_FALSE(utf8::is_well_formed("\xED\xA0\x80"));  // a surrogate
  EXPECT_EQ(utf8::well_formed_prefix("\xF0\x9F"), 0);   // incomplete, could still be valid
}

std::string load_error(const test::SyntheticVocab& v) {
  test::TempDir dir;
  try {
    v.load(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(TokenizerRules, LoaderErrorsNameTheProblem) {
  test::TempDir dir;
  {
    GgufWriter w(dir.file("none.gguf"));
    w.add_string("general.architecture", "llama");
    w.write_header();
    w.finish();
    try {
      Tokenizer::from_gguf(GgufFile::open(dir.file("none.gguf")));
      FAIL() << "a file without a tokenizer loaded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("no tokenizer"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("tokenizer.ggml.model"), std::string::npos) << e.what();
    }
  }
  test::SyntheticVocab v;
  v.add("a");
  v.model = "bert";
  std::string err = load_error(v);
  EXPECT_NE(err.find("unsupported tokenizer 'bert'"), std::string::npos) << err;
  EXPECT_NE(err.find("tokenizer.ggml.model"), std::string::npos) << err;

  v.model = "gpt2";
  v.pre = "qwen2";
  err = load_error(v);
  EXPECT_NE(err.find("'qwen2'"), std::string::npos) << err;
  EXPECT_NE(err.find("tokenizer.ggml.pre"), std::string::npos) << err;

  v.pre = "llama-bpe";  // gpt2 needs merges
  err = load_error(v);
  EXPECT_NE(err.find("tokenizer.ggml.merges"), std::string::npos) << err;

  test::SyntheticVocab empty;
  empty.with_bytes = false;
  err = load_error(empty);
  EXPECT_NE(err.find("tokenizer.ggml.tokens"), std::string::npos) << err;
}

TEST(TokenizerRules, OutOfRangeIdsAreErrors) {
  test::TempDir dir;
  test::SyntheticVocab v;
  v.add("<unk>", 2);
  const Tokenizer tok = v.load(dir);
  const auto n = static_cast<int32_t>(tok.n_vocab());
  EXPECT_THROW(tok.piece(-1, true), Error);
  EXPECT_THROW(tok.piece(n, true), Error);
  EXPECT_THROW(tok.token_text(n), Error);
  const std::vector<int32_t> ids = {0, n};
  EXPECT_THROW(tok.decode(ids, false), Error);
  EXPECT_FALSE(tok.is_control(n));
  EXPECT_FALSE(tok.is_eog(-1));
}

}  // namespace
}  // namespace edgelm
