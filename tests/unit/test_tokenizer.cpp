// Tokenizer behaviour on the real vocabularies: special tokens, BOS, end-of-generation
// sets, detokenization rules. (Exact ids against llama.cpp: test_tokenizer_vectors.cpp
// and the oracle test tokenize_parity.)
#include <gtest/gtest.h>

#include <algorithm>

#include "tokenizer_support.h"
#include "util/error.h"

namespace edgelm {
namespace {

using Ids = std::vector<int32_t>;

bool contains(const Ids& ids, int32_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }

std::string concat_pieces(const Tokenizer& tok, const Ids& ids, bool render_special) {
  std::string s;
  for (const int32_t id : ids) s += tok.piece(id, render_special);
  return s;
}

int32_t id_of(const Tokenizer& tok, std::string_view text) {
  const auto id = tok.find_token(text);
  EXPECT_TRUE(id.has_value()) << text;
  return id.value_or(kNoToken);
}

TEST(Tokenizer, ModelsAndSizes) {
  EXPECT_EQ(test::vocab_tokenizer("gemma-4").model(), "gemma4");
  EXPECT_EQ(test::vocab_tokenizer("llama-bpe").model(), "gpt2");
  EXPECT_EQ(test::vocab_tokenizer("llama-spm").model(), "llama");
  EXPECT_EQ(test::vocab_tokenizer("gemma-4").n_vocab(), 262144u);
  EXPECT_EQ(test::vocab_tokenizer("llama-bpe").n_vocab(), 128256u);
  EXPECT_EQ(test::vocab_tokenizer("llama-spm").n_vocab(), 32000u);
  const Tokenizer& g = test::vocab_tokenizer("gemma-4");
  EXPECT_EQ(g.token_text(g.bos()), "<bos>");
  EXPECT_EQ(g.token_text(g.eos()), "<eos>");
  EXPECT_FALSE(g.find_token("no such token text").has_value());
}

// Control tokens are parsed only on request; user-defined ones always.
TEST(Tokenizer, Gemma4SpecialTokenParsing) {
  const Tokenizer& tok = test::vocab_tokenizer("gemma-4");
  const int32_t turn = id_of(tok, "<|turn>");
  const int32_t turn_end = id_of(tok, "<turn|>");
  const int32_t channel = id_of(tok, "<|channel>");
  const std::string text = "<|turn>user\nHi<turn|>\n<|channel>x";

  const Ids parsed = tok.encode(text, false, true);
  EXPECT_EQ(parsed.front(), turn);
  EXPECT_TRUE(contains(parsed, turn_end));
  EXPECT_TRUE(contains(parsed, channel));
  EXPECT_TRUE(tok.is_control(turn));
  EXPECT_FALSE(tok.is_control(channel));

  const Ids plain = tok.encode(text, false, false);
  EXPECT_FALSE(contains(plain, turn));
  EXPECT_FALSE(contains(plain, turn_end));
  EXPECT_TRUE(contains(plain, channel));
  // Either way the text comes back when control tokens are rendered.
  EXPECT_EQ(concat_pieces(tok, parsed, true), text);
  EXPECT_EQ(concat_pieces(tok, plain, true), text);
  // Hidden control tokens leave no text.
  EXPECT_EQ(concat_pieces(tok, parsed, false), "user\nHi\n<|channel>x");
}

// "<|tool_response>" is user-defined in the file, but llama.cpp makes it an
// end-of-generation control token, so it is no longer matched without special parsing.
TEST(Tokenizer, Gemma4ToolResponseIsControl) {
  const Tokenizer& tok = test::vocab_tokenizer("gemma-4");
  const int32_t id = id_of(tok, "<|tool_response>");
  EXPECT_TRUE(tok.is_control(id));
  EXPECT_TRUE(tok.is_eog(id));
  EXPECT_EQ(tok.encode("<|tool_response>", false, true), Ids{id});
  EXPECT_NE(tok.encode("<|tool_response>", false, false), Ids{id});
}

TEST(Tokenizer, EndOfGenerationSets) {
  const Tokenizer& g = test::vocab_tokenizer("gemma-4");
  Ids expected = {g.eos(), id_of(g, "<turn|>"), id_of(g, "<|tool_response>")};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(g.eog_tokens(), expected);
  EXPECT_FALSE(g.is_eog(id_of(g, "</s>")));  // ordinary text in Gemma 4
  EXPECT_EQ(g.eot(), kNoToken);

  const Tokenizer& l3 = test::vocab_tokenizer("llama-bpe");
  EXPECT_EQ(l3.eot(), id_of(l3, "<|eot_id|>"));
  EXPECT_EQ(l3.eos(), id_of(l3, "<|end_of_text|>"));
  EXPECT_EQ(l3.eog_tokens(), (Ids{l3.eos(), l3.eot()}));

  const Tokenizer& spm = test::vocab_tokenizer("llama-spm");
  EXPECT_EQ(spm.eog_tokens(), Ids{spm.eos()});
  EXPECT_EQ(spm.token_text(spm.eos()), "</s>");
}

TEST(Tokenizer, BosAsTheFileSays) {
  for (const char* name : test::kVocabNames) {
    const Tokenizer& tok = test::vocab_tokenizer(name);
    ASSERT_TRUE(tok.add_bos_by_default()) << name;  // all three ask for BOS
    for (const std::string text : {"", "Hello world", " leading space", "<s><bos><|begin_of_text|>x"}) {
      for (const bool special : {true, false}) {
        Ids expected = {tok.bos()};
        const Ids rest = tok.encode(text, false, special);
        expected.insert(expected.end(), rest.begin(), rest.end());
        EXPECT_EQ(tok.encode(text, true, special), expected) << name << " '" << text << "'";
      }
    }
  }
  // A BOS written in the text is kept next to the added one, as llama_tokenize does.
  const Tokenizer& g = test::vocab_tokenizer("gemma-4");
  const Ids ids = g.encode("<bos>Hi", true, true);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids[0], g.bos());
  EXPECT_EQ(ids[1], g.bos());
}

// llama.cpp's clean-up of spaces applies to whole-text decoding of BPE vocabularies,
// not to pieces and not to SentencePiece.
TEST(Tokenizer, DecodeCleansSpacesLikeLlamaCpp) {
  struct Case {
    std::string text, cleaned;
  };
  const Case cases[] = {
      {"Hello , world . Why ? Now !", "Hello, world. Why? Now!"},  // space before , . ? ! dropped
      {"it ' s", "it's"},                                          // " ' " -> "'"
      {"he 's we 're you 've I 'm", "he's we're you've I'm"},      // space before 's 're 've 'm
      {"I 'd you 'll don 't", "I 'd you 'll don 't"},              // but kept before 'd 'll 't
      {"a ' ' b", "a'' b"},  // the space after a removed " ' " no longer counts
  };
  for (const char* name : {"gemma-4", "llama-bpe"}) {
    const Tokenizer& tok = test::vocab_tokenizer(name);
    for (const Case& c : cases) {
      const Ids ids = tok.encode(c.text, false, false);
      EXPECT_EQ(tok.decode(ids, false), c.cleaned) << name;
      EXPECT_EQ(concat_pieces(tok, ids, false), c.text) << name;
    }
  }
  const Tokenizer& spm = test::vocab_tokenizer("llama-spm");
  for (const Case& c : cases) EXPECT_EQ(spm.decode(spm.encode(c.text, false, false), false), c.text);
}

// SentencePiece adds a space before text at the start and after special tokens; decode
// removes the first token's leading space only.
TEST(Tokenizer, SentencePieceSpacePrefix) {
  const Tokenizer& tok = test::vocab_tokenizer("llama-spm");
  const Ids ids = tok.encode("Hello", false, false);
  EXPECT_EQ(concat_pieces(tok, ids, false), " Hello");
  EXPECT_EQ(tok.decode(ids, false), "Hello");
  // With BOS first, BOS takes the removal (even hidden): the space stays.
  const Ids with_bos = tok.encode("Hello", true, false);
  EXPECT_EQ(tok.decode(with_bos, false), " Hello");
  EXPECT_EQ(tok.decode(with_bos, true), "<s> Hello");
  // After a special token in the text, the next text gets its own space.
  EXPECT_EQ(tok.decode(tok.encode("a</s>b", false, true), true), "a</s> b");
}

// Invalid UTF-8 is tokenized, never rejected: the BPE vocabularies see U+FFFD for each
// bad byte (their pre-tokenizers work on code points), SentencePiece keeps the bytes.
TEST(Tokenizer, InvalidUtf8IsTolerated) {
  const std::string bad = "\xFF\xFEok\xC3";
  for (const char* name : {"gemma-4", "llama-bpe"}) {
    const Tokenizer& tok = test::vocab_tokenizer(name);
    EXPECT_EQ(tok.decode(tok.encode(bad, false, false), false), "\xEF\xBF\xBD\xEF\xBF\xBDok\xEF\xBF\xBD") << name;
  }
  const Tokenizer& spm = test::vocab_tokenizer("llama-spm");
  EXPECT_EQ(spm.decode(spm.encode(bad, false, false), false), bad);
}

// Empty text: no tokens (BOS only when asked).
TEST(Tokenizer, EmptyText) {
  for (const char* name : test::kVocabNames) {
    const Tokenizer& tok = test::vocab_tokenizer(name);
    EXPECT_TRUE(tok.encode("", false, true).empty()) << name;
    EXPECT_EQ(tok.encode("", true, true), Ids{tok.bos()}) << name;
    EXPECT_EQ(tok.decode(Ids{}, true), "");
  }
}

}  // namespace
}  // namespace edgelm
