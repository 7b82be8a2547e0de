#pragma once
// The tiny synthetic Gemma 4 most unit tests run on, written into a temporary directory.
#include <cstdint>
#include <string>

#include "synth/synth_gemma4.h"
#include "test_support.h"

namespace edgelm::test {

// Writes the tiny preset with the llama-spm vocabulary from ../shared as `name` in `dir`
// (two threads) and returns its path.
inline std::string synth_tiny_gemma4(const TempDir& dir, uint64_t seed, TensorType quant = TensorType::Q8_0,
                                     const std::string& name = "tiny.gguf") {
  SynthOptions o;
  o.preset = "tiny";
  o.quant = quant;
  o.vocab_path = (shared_testdata() / "vocab" / "ggml-vocab-llama-spm.gguf").string();
  o.seed = seed;
  o.threads = 2;
  o.out_path = dir.file(name);
  synth_gemma4(o);
  return o.out_path;
}

}  // namespace edgelm::test
