#pragma once
// Shared helpers for the tokenizer tests: the real vocabularies (loaded once per test
// binary, since the Gemma 4 one takes a moment) and the llama.cpp vector files.
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
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

// A small vocabulary GGUF for rule tests: `model` is tokenizer.ggml.model; tokens,
// their types (1 normal, 3 control, 4 user-defined, 6 byte) and scores; merges for BPE
// models. `with_bytes` appends the 256 "<0xXX>" byte tokens.
struct SyntheticVocab {
  std::string model = "llama";
  std::string pre;  // tokenizer.ggml.pre, omitted when empty
  std::vector<std::string> tokens;
  std::vector<int32_t> types;  // defaults to 1
  std::vector<float> scores;   // defaults to 0
  std::vector<std::string> merges;
  bool with_bytes = true;
  std::optional<bool> add_space_prefix;  // tokenizer.ggml.add_space_prefix when set

  // Adds a token and returns its id.
  int32_t add(const std::string& text, int32_t type = 1, float score = 0.0f) {
    tokens.push_back(text);
    types.push_back(type);
    scores.push_back(score);
    return static_cast<int32_t>(tokens.size() - 1);
  }

  void write(const std::string& path) const {
    std::vector<std::string> all = tokens;
    std::vector<int32_t> all_types = types;
    std::vector<float> all_scores = scores;
    all_types.resize(all.size(), 1);
    all_scores.resize(all.size(), 0.0f);
    if (with_bytes) {
      for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        all.push_back(name);
        all_types.push_back(6);
        all_scores.push_back(0.0f);
      }
    }
    GgufWriter w(path);
    w.add_string("general.architecture", "llama");
    w.add_string("tokenizer.ggml.model", model);
    if (!pre.empty()) w.add_string("tokenizer.ggml.pre", pre);
    if (add_space_prefix) w.add_bool("tokenizer.ggml.add_space_prefix", *add_space_prefix);
    const std::vector<std::string_view> views(all.begin(), all.end());
    w.add_string_array("tokenizer.ggml.tokens", views);
    w.add_i32_array("tokenizer.ggml.token_type", all_types);
    w.add_f32_array("tokenizer.ggml.scores", all_scores);
    if (!merges.empty()) {
      const std::vector<std::string_view> merge_views(merges.begin(), merges.end());
      w.add_string_array("tokenizer.ggml.merges", merge_views);
    }
    w.write_header();
    w.finish();
  }

  Tokenizer load(const TempDir& dir) const {
    const std::string path = dir.file("vocab-" + std::to_string(counter()++) + ".gguf");
    write(path);
    return Tokenizer::from_gguf(GgufFile::open(path));
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
};

}  // namespace edgelm::test
