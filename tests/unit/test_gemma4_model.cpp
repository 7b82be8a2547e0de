// The optimized Gemma 4 forward pass against the reference implementation (end to
// end and layer by layer through the trace), and the batching invariants: the same
// logits whatever the micro-batch size, and prefill == token-by-token decode.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "gguf/gguf_writer.h"
#include "kernels/float_dot.h"
#include "models/gemma4/gemma4_model.h"
#include "reference/gemma4_reference.h"
#include "runtime/thread_pool.h"
#include "synth_support.h"
#include "test_support.h"
#include "util/error.h"

namespace edgelm {
namespace {

class Gemma4ModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    for (TensorType t : {TensorType::F32, TensorType::Q8_0}) {
      test::synth_tiny_gemma4(*dir_, 3, t, std::string("tiny-") + type_name(t) + ".gguf");
    }
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string model_path(TensorType t) { return dir_->file(std::string("tiny-") + type_name(t) + ".gguf"); }

  static std::vector<int32_t> tokens(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> v = {1};  // BOS of the llama vocabulary
    while (v.size() < n) v.push_back(static_cast<int32_t>(3 + rng() % 31990));
    return v;
  }

  static test::TempDir* dir_;
};
test::TempDir* Gemma4ModelTest::dir_ = nullptr;

std::vector<float> last_logits(const Gemma4Model& m, const std::vector<int32_t>& toks, uint32_t ubatch, int threads) {
  ThreadPool pool(threads);
  KvCache cache = m.new_cache(512, ubatch);
  std::vector<float> logits(m.config().n_vocab);
  m.eval(cache, toks, ubatch, pool, logits.data());
  return logits;
}

// Micro-batch size changes nothing: every token's arithmetic is the same. The prompt
// crosses the sliding window (32) several times and the ring buffer wraps.
TEST_F(Gemma4ModelTest, UbatchSizeDoesNotChangeLogits) {
  const auto m = Gemma4Model::open(model_path(TensorType::Q8_0));
  const auto toks = tokens(100, 1);
  const auto whole = last_logits(*m, toks, 100, 2);
  EXPECT_EQ(last_logits(*m, toks, 7, 2), whole);
  EXPECT_EQ(last_logits(*m, toks, 32, 1), whole);
}

// llama.cpp itself sums f32/f16 matrix products of several tokens in another order
// than single tokens (kernels/float_dot.h); with the batch-invariant order the two
// must agree bit for bit.
TEST_F(Gemma4ModelTest, PrefillEqualsTokenByTokenDecode) {
  struct BatchInvariant {
    BatchInvariant() { set_float_batch_invariant(true); }
    ~BatchInvariant() { set_float_batch_invariant(false); }
  } batch_invariant;
  const auto m = Gemma4Model::open(model_path(TensorType::Q8_0));
  const auto toks = tokens(60, 2);
  ThreadPool pool(2);
  KvCache cache = m->new_cache(128, 4);
  std::vector<float> logits(m->config().n_vocab);
  for (int32_t t : toks) m->eval(cache, std::span<const int32_t>(&t, 1), 4, pool, logits.data());
  EXPECT_EQ(cache.n_past(), 60u);
  EXPECT_EQ(logits, last_logits(*m, toks, 64, 2));
}

// End to end against the f32 reference. The optimized path rounds K/V, q and the
// attention probabilities to f16 and uses ggml's f16 GELU table, like llama.cpp;
// those roundings bound the agreement at about 1e-2 in logits.
TEST_F(Gemma4ModelTest, MatchesTheReferenceOnF32Weights) {
  const GgufFile file = GgufFile::open(model_path(TensorType::F32));
  const reference::Gemma4Reference ref(file);
  const auto m = Gemma4Model::open(model_path(TensorType::F32));
  for (size_t n : {1u, 20u, 45u}) {
    const auto toks = tokens(n, 10 + static_cast<uint32_t>(n));
    const auto want = ref.forward(toks).back();
    const auto got = last_logits(*m, toks, 16, 2);
    double max_diff = 0, max_abs = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      max_diff = std::max(max_diff, std::fabs(static_cast<double>(got[i]) - want[i]));
      max_abs = std::max(max_abs, std::fabs(static_cast<double>(want[i])));
    }
    RecordProperty("max_logit_diff_" + std::to_string(n), std::to_string(max_diff));
    EXPECT_LT(max_diff, 2e-2) << n << " tokens; largest |logit| " << max_abs;
    const auto argmax = [](const std::vector<float>& v) { return std::max_element(v.begin(), v.end()) - v.begin(); };
    EXPECT_EQ(argmax(got), argmax(want)) << n << " tokens";
  }
}

// Layer by layer against the reference trace: how a mismatch is localised. Each stage's
// relative error (|a - b| / |b|, vector norms) stays small, and never jumps between
// consecutive layers: a wrong op would show up as a jump at its layer.
TEST_F(Gemma4ModelTest, LayerByLayerAgreesWithTheReference) {
  const GgufFile file = GgufFile::open(model_path(TensorType::F32));
  const reference::Gemma4Reference ref(file);
  const auto m = Gemma4Model::open(model_path(TensorType::F32));
  const auto toks = tokens(40, 77);  // crosses the sliding window of 32
  reference::ReferenceTrace want;
  ref.forward(toks, &want);
  Gemma4Trace got;
  ThreadPool pool(2);
  KvCache cache = m->new_cache(64, 16);
  std::vector<float> logits(m->config().n_vocab);
  m->eval(cache, toks, 16, pool, logits.data(), &got);

  auto rel = [](const std::vector<float>& a, const std::vector<float>& b) {
    double num = 0, den = 0;
    for (size_t i = 0; i < b.size(); ++i) {
      num += (static_cast<double>(a.at(i)) - b[i]) * (static_cast<double>(a.at(i)) - b[i]);
      den += static_cast<double>(b[i]) * b[i];
    }
    return std::sqrt(num / std::max(den, 1e-30));
  };
  EXPECT_LT(rel(got.embedding, want.embedding), 1e-6);
  ASSERT_EQ(got.per_layer_input.size(), want.per_layer_input.size());
  for (size_t l = 0; l < want.per_layer_input.size(); ++l) {
    EXPECT_LT(rel(got.per_layer_input[l], want.per_layer_input[l]), 1e-5) << "per-layer input " << l;
  }
  ASSERT_EQ(got.layer_output.size(), want.layer_output.size());
  double previous = 0;
  for (size_t l = 0; l < want.layer_output.size(); ++l) {
    const double e = rel(got.layer_output[l], want.layer_output[l]);
    RecordProperty("layer_" + std::to_string(l), std::to_string(e));
    EXPECT_LT(e, 3e-3) << "layer " << l;
    EXPECT_LT(e, previous + 2e-3) << "error jumps at layer " << l;
    previous = e;
  }
  EXPECT_LT(rel(got.final_norm, want.final_norm), 3e-3);
}

TEST_F(Gemma4ModelTest, RefusesContextOverflowAndBadTokens) {
  const auto m = Gemma4Model::open(model_path(TensorType::Q8_0));
  ThreadPool pool(1);
  KvCache cache = m->new_cache(8, 8);
  std::vector<float> logits(m->config().n_vocab);
  const auto toks = tokens(9, 3);
  EXPECT_THROW(m->eval(cache, toks, 8, pool, logits.data()), Error);
  const std::vector<int32_t> bad = {1, 40000};
  EXPECT_THROW(m->eval(cache, bad, 8, pool, logits.data()), Error);
  const std::vector<int32_t> ok = {1, 2};
  EXPECT_THROW(m->eval(cache, ok, 9, pool, logits.data()), Error);  // larger than the cache's micro-batch
}

// Sequences are independent: interleaving two caches gives each the logits it gets alone.
TEST_F(Gemma4ModelTest, IndependentSequencesDoNotInterfere) {
  const auto m = Gemma4Model::open(model_path(TensorType::Q8_0));
  const auto a = tokens(40, 5), b = tokens(30, 6);
  ThreadPool pool(2);
  KvCache ca = m->new_cache(64, 8), cb = m->new_cache(64, 8);
  std::vector<float> la(m->config().n_vocab), lb(m->config().n_vocab);
  for (size_t i = 0; i < 40; i += 10) {
    m->eval(ca, std::span<const int32_t>(a).subspan(i, 10), 8, pool, la.data());
    if (i < 30) m->eval(cb, std::span<const int32_t>(b).subspan(i, 10), 8, pool, lb.data());
  }
  EXPECT_EQ(la, last_logits(*m, a, 8, 2));
  EXPECT_EQ(lb, last_logits(*m, b, 8, 2));
}

// A tensor with the right byte size but the wrong shape is named with both shapes.
TEST_F(Gemma4ModelTest, MisShapedTensorIsNamed) {
  const GgufFile src = GgufFile::open(model_path(TensorType::Q8_0));
  const std::string out = dir_->file("misshaped.gguf");
  {
    GgufWriter w(out);
    for (const KeyValue& kv : src.metadata()) w.add_value(kv.key, kv.value);
    for (const TensorInfo& t : src.tensors()) {
      std::vector<int64_t> dims(t.ne.begin(), t.ne.begin() + t.n_dims);
      if (t.name == "blk.0.ffn_gate.weight") std::swap(dims[0], dims[1]);
      w.add_tensor(t.name, t.type, dims);
    }
    w.write_header();
    for (const TensorInfo& t : src.tensors()) w.write_tensor_data(t.data, t.n_bytes);
    w.finish();
  }
  try {
    Gemma4Model::open(out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'blk.0.ffn_gate.weight' has shape [512, 256], expected [256, 512]"),
              std::string::npos)
        << e.what();
  }
}

TEST(Gemma4Load, OtherArchitecturesAndMissingTensorsAreNamed) {
  try {
    Gemma4Model::open((test::shared_testdata() / "vocab" / "ggml-vocab-llama-bpe.gguf").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("architecture is 'llama', expected 'gemma4'"), std::string::npos) << e.what();
  }
  try {
    Gemma4Model::open((test::shared_testdata() / "vocab" / "ggml-vocab-gemma-4.gguf").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing tensor 'token_embd.weight'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace edgelm
