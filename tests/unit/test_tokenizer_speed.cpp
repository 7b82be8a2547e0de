// Opt-in speed check (EDGELM_TOKENIZER_SPEED=1): how long a text of at least 100,000
// tokens takes to encode and decode with each real vocabulary. It prints figures and
// checks only correctness (timings are never pass/fail).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

#include "tokenizer_support.h"

namespace edgelm {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(TokenizerSpeed, HundredThousandTokens) {
  const char* on = std::getenv("EDGELM_TOKENIZER_SPEED");
  if (on == nullptr || *on == '\0' || *on == '0') GTEST_SKIP() << "set EDGELM_TOKENIZER_SPEED=1 to run";
  // Prose, code and the vector inputs of all three vocabularies (many scripts).
  std::string base =
      "The quick brown fox jumps over the lazy dog. It's 3.14159 o'clock; we've got 1,234,567 reasons.\n"
      "int main(int argc, char** argv) {\n    for (int i = 0; i < argc; ++i) printf(\"%s\\n\", argv[i]);\n}\n";
  for (const char* name : test::kVocabNames) {
    for (const auto& c : test::read_vocab_cases(name)) base += c.text + "\n";
  }
  for (const char* name : test::kVocabNames) {
    auto t0 = std::chrono::steady_clock::now();
    const Tokenizer& tok = test::vocab_tokenizer(name);
    const double load = seconds_since(t0);
    const size_t per_base = tok.encode(base, false, false).size();
    std::string text;
    while (text.size() / base.size() * per_base < 100000) text += base;
    double best = 1e9;
    std::vector<int32_t> ids;
    for (int rep = 0; rep < 3; ++rep) {
      t0 = std::chrono::steady_clock::now();
      ids = tok.encode(text, false, true);
      best = std::min(best, seconds_since(t0));
    }
    t0 = std::chrono::steady_clock::now();
    const std::string back = tok.decode(ids, true);
    const double decode = seconds_since(t0);
    ASSERT_GE(ids.size(), 100000u);
    std::printf("[ speed    ] %-9s load %.3f s; encode %zu tokens (%zu bytes) in %.3f s (%.0f K tokens/s); decode %.3f s\n",
                name, load, ids.size(), text.size(), best, static_cast<double>(ids.size()) / best / 1000.0, decode);
    // The same text as one line: Gemma 4 and SentencePiece then merge over a single
    // word of a quarter megabyte.
    std::string one_line = text;
    for (char& c : one_line) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    t0 = std::chrono::steady_clock::now();
    const size_t n_line = tok.encode(one_line, false, true).size();
    std::printf("[ speed    ] %-9s one line: %zu tokens in %.3f s\n", name, n_line, seconds_since(t0));
  }
}

}  // namespace
}  // namespace edgelm
