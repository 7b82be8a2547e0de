#pragma once
// A tiny synthetic Gemma 4 (random weights, the real Gemma 4 vocabulary and chat
// template) for the server's tests, written once per test process.
#include <memory>
#include <string>

#include "gguf/gguf_reader.h"
#include "models/model.h"
#include "synth/synth_gemma4.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

namespace edgelm::test {

struct TinyGemma {
  TempDir dir;
  std::string path;
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;

  TinyGemma() : path(dir.file("tiny-gemma4.gguf")) {
    SynthOptions o;
    o.preset = "tiny";
    o.quant = TensorType::Q8_0;
    o.vocab_path = (shared_testdata() / "vocab" / "ggml-vocab-gemma-4.gguf").string();
    o.seed = 7;
    o.threads = 2;
    o.out_path = path;
    synth_gemma4(o);
    model = open_model(path);
    tokenizer = std::make_unique<Tokenizer>(Tokenizer::from_gguf(model->file()));
  }

  static TinyGemma& get() {
    static TinyGemma tiny;
    return tiny;
  }
};

}  // namespace edgelm::test
