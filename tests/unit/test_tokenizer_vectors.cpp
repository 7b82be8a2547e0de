// The llama.cpp tokenizer vectors shipped with the real vocabularies
// (testdata/vocab/*.inp/.out, produced by llama.cpp's test-tokenizer-0 with
// add_special = false, parse_special = false) must be reproduced exactly.
#include <gtest/gtest.h>

#include "tokenizer_support.h"

namespace edgelm {
namespace {

std::string ids_string(const std::vector<int32_t>& ids) {
  std::string s;
  for (const int32_t id : ids) s += std::to_string(id) + " ";
  return s;
}

class TokenizerVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerVectors, AllCasesMatchLlamaCpp) {
  const Tokenizer& tok = test::vocab_tokenizer(GetParam());
  const std::vector<test::VocabCase> cases = test::read_vocab_cases(GetParam());
  ASSERT_GE(cases.size(), 40u) << "vector files missing or inconsistent";
  size_t passed = 0;
  for (const auto& c : cases) {
    const std::vector<int32_t> ids = tok.encode(c.text, /*add_special=*/false, /*parse_special=*/false);
    if (ids == c.ids) {
      ++passed;
    } else {
      ADD_FAILURE() << "text '" << c.text << "'\n  expected " << ids_string(c.ids) << "\n  got      " << ids_string(ids);
    }
  }
  std::printf("[ vectors  ] %s: %zu/%zu cases match\n", GetParam().c_str(), passed, cases.size());
}

INSTANTIATE_TEST_SUITE_P(RealVocabularies, TokenizerVectors, ::testing::Values("gemma-4", "llama-bpe", "llama-spm"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace edgelm
