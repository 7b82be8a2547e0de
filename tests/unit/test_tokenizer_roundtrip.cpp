// Properties over random text and random ids: what survives a round trip through each
// vocabulary, and that streaming detokenization never emits broken UTF-8.
//
// Invariants for well-formed UTF-8 text s without U+2581 "▁" (which every vocabulary
// here renders as a space, by design), add_special = false:
//   gemma4, gpt2 (byte-level BPE): the pieces of encode(s) concatenate to s, with
//     special parsing off (pieces without control tokens) or on (pieces rendering them);
//     decode() equals s unless s has a space before ? ! . , or ' (llama.cpp's clean-up).
//   llama (SentencePiece), special parsing off: decode(encode(s)) == s, and the pieces
//     concatenate to " " + s (the space prefix, which decode removes).
//   all: encode(s, add_special = true) == [BOS] + encode(s, false).
#include <gtest/gtest.h>

#include <random>

#include "tokenizer/stream_decoder.h"
#include "tokenizer/utf8.h"
#include "tokenizer_support.h"

namespace edgelm {
namespace {

using Ids = std::vector<int32_t>;

// Random well-formed UTF-8 mixing scripts, emoji sequences, combining marks,
// whitespace runs, punctuation and special-token texts.
class TextGenerator {
 public:
  explicit TextGenerator(uint64_t seed) : rng_(seed) {}

  std::string next() {
    std::string s;
    const int n = pick(0, 40);
    for (int i = 0; i < n; ++i) {
      const int kind = pick(0, 9);
      if (kind == 0) {
        static const char* const kSpecial[] = {"<bos>", "<|turn>", "<turn|>", "<|channel>", "<s>", "</s>",
                                               "<|eot_id|>", "<|begin_of_text|>", "<unk>", "<|tool_response>"};
        s += kSpecial[pick(0, 9)];
      } else if (kind == 1) {
        static const char* const kSpace[] = {" ", "  ", "\n", "\n\n", "\r\n", "\t", " \n ", "\u3000", "\u00a0"};
        s += kSpace[pick(0, 8)];
      } else {
        utf8::append(s, code_point());
      }
    }
    return s;
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  uint32_t code_point() {
    static const std::pair<uint32_t, uint32_t> kRanges[] = {
        {0x20, 0x7E},       {0x20, 0x7E},       {0x61, 0x7A},     {0xA0, 0x24F},    {0x300, 0x36F},
        {0x370, 0x3FF},     {0x400, 0x4FF},     {0x590, 0x6FF},   {0x900, 0x97F},   {0xE00, 0xE7F},
        {0x3040, 0x30FF},   {0x4E00, 0x9FFF},   {0xAC00, 0xD7A3}, {0x1F300, 0x1FAFF}, {0x1F3FB, 0x1F3FF},
        {0x200D, 0x200D},   {0xFE0F, 0xFE0F},   {0x20000, 0x2A6DF}, {0xE000, 0xF8FF}, {0x10000, 0x10FFFF},
        {0x2EBF0, 0x2EE5D}, {0xFFF0, 0xFFFD}};
    const auto& [lo, hi] = kRanges[pick(0, static_cast<int>(std::size(kRanges)) - 1)];
    uint32_t cp = std::uniform_int_distribution<uint32_t>(lo, hi)(rng_);
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0x2581) cp = 'x';
    return cp;
  }

  std::mt19937_64 rng_;
};

std::string concat_pieces(const Tokenizer& tok, const Ids& ids, bool render_special) {
  std::string s;
  for (const int32_t id : ids) s += tok.piece(id, render_special);
  return s;
}

bool has_cleanable_space(const std::string& s) {
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == ' ' && std::string_view("?!.,'").find(s[i + 1]) != std::string_view::npos) return true;
  }
  return false;
}

// Streams `ids`; every chunk must be well-formed. Returns the whole streamed text.
std::string stream(const Tokenizer& tok, const Ids& ids, bool render_special) {
  StreamDecoder decoder(tok, render_special);
  std::string all;
  for (const int32_t id : ids) {
    const std::string chunk = decoder.push(id);
    EXPECT_TRUE(utf8::is_well_formed(chunk));
    all += chunk;
  }
  const std::string tail = decoder.flush();
  EXPECT_TRUE(utf8::is_well_formed(tail));
  return all + tail;
}

class TokenizerRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerRoundTrip, RandomTextSurvives) {
  const Tokenizer& tok = test::vocab_tokenizer(GetParam());
  const bool sentencepiece = tok.model() == "llama";
  TextGenerator gen(0x5EED0000u + GetParam().size());
  int checked_decode = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string s = gen.next();
    ASSERT_TRUE(utf8::is_well_formed(s));
    const Ids plain = tok.encode(s, false, false);
    const Ids parsed = tok.encode(s, false, true);
    Ids with_bos = {tok.bos()};
    with_bos.insert(with_bos.end(), parsed.begin(), parsed.end());
    EXPECT_EQ(tok.encode(s, true, true), with_bos);

    if (sentencepiece) {
      EXPECT_EQ(tok.decode(plain, false), s);
      EXPECT_EQ(concat_pieces(tok, plain, false), s.empty() ? "" : " " + s);
      EXPECT_EQ(stream(tok, plain, false), concat_pieces(tok, plain, false));
      ++checked_decode;
    } else {
      EXPECT_EQ(concat_pieces(tok, plain, false), s);
      EXPECT_EQ(concat_pieces(tok, parsed, true), s);
      EXPECT_EQ(stream(tok, plain, false), s);
      EXPECT_EQ(stream(tok, parsed, true), s);
      if (!has_cleanable_space(s)) {
        EXPECT_EQ(tok.decode(plain, false), s);
        ++checked_decode;
      }
    }
    if (HasFailure()) {
      ADD_FAILURE() << "text: " << testing::PrintToString(s);
      return;
    }
  }
  EXPECT_GT(checked_decode, 200);  // most strings had no cleanable space
}

// Any id sequence, including lone and misordered byte tokens: every streamed chunk is
// well-formed and the whole equals the pieces with each ill-formed part replaced.
TEST_P(TokenizerRoundTrip, StreamingRandomIdsIsAlwaysWellFormed) {
  const Tokenizer& tok = test::vocab_tokenizer(GetParam());
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int32_t> any(0, static_cast<int32_t>(tok.n_vocab()) - 1);
  // Byte tokens (or, for byte-level BPE, single-byte-alphabet tokens) half the time.
  Ids bytes;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    if (auto id = tok.find_token(name)) bytes.push_back(*id);
  }
  if (bytes.empty()) {
    for (const char* t : {"\xC3\x83", "\xC2\xA9", "\xC3\xA2", "\xC4\xA2", "\xC2\x80", "\xC3\xB0", "\xC5\x81"}) {
      if (auto id = tok.find_token(t)) bytes.push_back(*id);
    }
  }
  ASSERT_FALSE(bytes.empty());
  std::uniform_int_distribution<size_t> pick_byte(0, bytes.size() - 1);
  for (int round = 0; round < 300; ++round) {
    Ids ids;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) ids.push_back(rng() % 2 ? bytes[pick_byte(rng)] : any(rng));
    for (const bool render : {false, true}) {
      EXPECT_EQ(stream(tok, ids, render), utf8::sanitize(concat_pieces(tok, ids, render)));
    }
  }
}

// Arbitrary bytes (mostly ill-formed UTF-8) never break encoding: ids stay in range,
// and what comes back is the input as llama.cpp reads it. The BPE vocabularies read
// each ill-formed byte as U+FFFD (their pre-tokenizers work on code points; overlong
// forms decode as written). SentencePiece keeps the bytes, with one quirk: it splits
// text into characters by lead bytes alone, so a stray lead byte swallows the first
// byte of the "▁" that stands for a following space, and that space comes back as
// the three raw bytes of "▁" (byte tokens) rather than as " ".
TEST_P(TokenizerRoundTrip, RandomBytesAreReadLikeLlamaCpp) {
  const Tokenizer& tok = test::vocab_tokenizer(GetParam());
  const bool sentencepiece = tok.model() == "llama";
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string bytes;
    const int n = static_cast<int>(rng() % 24);
    for (int k = 0; k < n; ++k) {
      const uint64_t r = rng();
      bytes += static_cast<char>(r % 3 == 0 ? 0x80 + (r >> 8) % 0x80 : r % 3 == 1 ? ' ' + (r >> 8) % 0x5F : (r >> 8) % 256);
    }
    if (bytes.find("\xE2\x96\x81") != std::string::npos) continue;  // "▁" renders as a space
    for (const bool special : {false, true}) {
      const Ids ids = tok.encode(bytes, false, special);
      for (const int32_t id : ids) ASSERT_LT(static_cast<size_t>(id), tok.n_vocab());
      EXPECT_EQ(stream(tok, ids, special), utf8::sanitize(concat_pieces(tok, ids, special)));
      if (special) continue;
      if (sentencepiece) {
        const std::string pieces = concat_pieces(tok, ids, false);
        std::string back;  // pieces with each "▁" read as a space
        for (size_t i = 0; i < pieces.size(); ++i) {
          const bool mark = pieces.compare(i, 3, "\xE2\x96\x81") == 0;
          back += mark ? ' ' : pieces[i];
          if (mark) i += 2;
        }
        std::string expected;
        if (!bytes.empty()) expected.append(1, ' ').append(bytes);
        EXPECT_EQ(back, expected) << testing::PrintToString(bytes);
      } else {
        std::string as_read;
        for (const uint32_t cp : utf8::decode_lenient(bytes)) utf8::append(as_read, cp);
        EXPECT_EQ(concat_pieces(tok, ids, false), as_read) << testing::PrintToString(bytes);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RealVocabularies, TokenizerRoundTrip, ::testing::Values("gemma-4", "llama-bpe", "llama-spm"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// A character split over byte tokens is held back until complete; bytes that cannot
// complete become U+FFFD.
TEST(StreamDecoder, HoldsBackPartialCharacters) {
  const Tokenizer& tok = test::vocab_tokenizer("gemma-4");
  const auto byte = [&](int b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    return tok.find_token(name).value();
  };
  const std::string replacement = "\xEF\xBF\xBD";
  StreamDecoder d(tok, false);
  EXPECT_EQ(d.push(byte(0xF0)), "");
  EXPECT_EQ(d.push(byte(0x9F)), "");
  EXPECT_EQ(d.push(byte(0x98)), "");
  EXPECT_EQ(d.push(byte(0x80)), "\xF0\x9F\x98\x80");  // 😀
  EXPECT_EQ(d.push(byte(0xFF)), replacement);         // never valid
  EXPECT_EQ(d.push(byte(0xE2)), "");
  EXPECT_EQ(d.push(tok.find_token("A").value()), replacement + "A");  // E2 cut short by 'A'
  EXPECT_EQ(d.push(byte(0xC3)), "");
  EXPECT_EQ(d.flush(), replacement);  // incomplete at the end
  EXPECT_EQ(d.flush(), "");
  // Control tokens render only when asked.
  StreamDecoder hidden(tok, false), shown(tok, true);
  EXPECT_EQ(hidden.push(tok.bos()), "");
  EXPECT_EQ(shown.push(tok.bos()), "<bos>");
}

}  // namespace
}  // namespace edgelm
