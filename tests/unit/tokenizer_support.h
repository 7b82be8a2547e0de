#pragma once
// Shared helpers for the tokenizer tests: the real vocabularies (loaded once per test
// binary, since the Gemma 4 one takes a moment) and the llama.cpp vector files.
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/gguf_reader.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

namespace edgelm::test {

inline const char* const kVocabNames[] = {"gemma-4", "llama-bpe", "llama-spm"};

inline std::string vocab_path(const std::string& name) {
  return (shared_testdata() / "vocab" / ("ggml-vocab-" + name + ".gguf")).string();
}

// The tokenizer of testdata/vocab/ggml-vocab-NAME.gguf, loaded on first use.
inline const Tokenizer& vocab_tokenizer(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto& slot = cache[name];
  if (!slot) slot = std::make_unique<Tokenizer>(Tokenizer::from_gguf(GgufFile::open(vocab_path(name))));
  return *slot;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct VocabCase {
  std::string text;
  std::vector<int32_t> ids;
};

// llama.cpp's test-tokenizer-0 format: NAME.inp holds the inputs separated by
// "\n__ggml_vocab_test__\n"; NAME.out one line of space-separated ids per input.
inline std::vector<VocabCase> read_vocab_cases(const std::string& name) {
  const std::string base = vocab_path(name);
  const std::string raw = read_text(base + ".inp");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> inputs;
  for (size_t pos = 0; pos < raw.size();) {
    size_t next = raw.find(sep, pos);
    if (next == std::string::npos) next = raw.size();
    inputs.push_back(raw.substr(pos, next - pos));
    pos = next == raw.size() ? next : next + sep.size();
  }
  std::vector<VocabCase> cases;
  std::istringstream out(read_text(base + ".out"));
  std::string line;
  for (size_t i = 0; std::getline(out, line); ++i) {
    VocabCase c;
    c.text = i < inputs.size() ? inputs[i] : std::string();
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  if (cases.size() != inputs.size()) cases.clear();  // malformed pair of files: the caller's size check fails
  return cases;
}

}  // namespace edgelm::test
