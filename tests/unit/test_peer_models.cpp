// The peers' forward passes (Llama 3.2, OpenELM) on their tiny synthetic presets
// against the spec-literal reference (end to end and layer by layer), the batching
// invariants, and how bad files are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "gguf/gguf_writer.h"
#include "kernels/float_dot.h"
#include "models/model.h"
#include "reference/decoder_reference.h"
#include "runtime/thread_pool.h"
#include "synth/synth_decoder.h"
#include "test_support.h"
#include "util/error.h"

namespace edgelm {
namespace {

// One file per (preset, type), written once for the whole suite. The small Llama 2
// vocabulary (32000 ids) keeps them small for both architectures.
class PeerModelTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { dir_ = new test::TempDir(); }
  static void TearDownTestSuite() { delete dir_; }

  static std::string model_path(const std::string& preset, TensorType t) {
    const std::string path = dir_->file(preset + "-" + type_name(t) + ".gguf");
    if (!std::filesystem::exists(path)) {
      SynthOptions o;
      o.preset = preset;
      o.quant = t;
      o.vocab_path = (test::shared_testdata() / "vocab" / "ggml-vocab-llama-spm.gguf").string();
      o.seed = 3;
      o.threads = 2;
      o.out_path = path;
      synth_decoder(o);
    }
    return path;
  }
  std::string model_path(TensorType t) const { return model_path(GetParam(), t); }

  static std::vector<int32_t> tokens(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> v = {1};  // BOS of the llama vocabulary
    while (v.size() < n) v.push_back(static_cast<int32_t>(3 + rng() % 31990));
    return v;
  }

  static test::TempDir* dir_;
};
test::TempDir* PeerModelTest::dir_ = nullptr;

std::vector<float> last_logits(const Model& m, const std::vector<int32_t>& toks, uint32_t ubatch, int threads,
                               ModelTrace* trace = nullptr) {
  ThreadPool pool(threads);
  KvCache cache = m.new_cache(256, ubatch);
  std::vector<float> logits(m.n_vocab());
  m.eval(cache, toks, ubatch, pool, logits.data(), trace);
  return logits;
}

double rel(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    num += (static_cast<double>(a.at(i)) - b[i]) * (static_cast<double>(a.at(i)) - b[i]);
    den += static_cast<double>(b[i]) * b[i];
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

TEST_P(PeerModelTest, OpensAsItsArchitecture) {
  const auto m = open_model(model_path(TensorType::Q8_0));
  const DecoderConfig c = decoder_preset(GetParam()).config;
  EXPECT_EQ(m->architecture(), c.arch);
  EXPECT_EQ(m->n_layers(), c.n_layers);
  EXPECT_EQ(m->n_vocab(), 32000u);
  EXPECT_EQ(m->context_length(), c.context_length);
}

// End to end against the f32/double reference. The engine rounds K/V, q and the
// attention probabilities to f16 like llama.cpp (and its SiLU's e^x is a polynomial);
// those roundings bound the agreement at about 1e-2 in logits.
TEST_P(PeerModelTest, MatchesTheReferenceOnF32Weights) {
  const GgufFile file = GgufFile::open(model_path(TensorType::F32));
  const reference::DecoderReference ref(file);
  const auto m = open_model(model_path(TensorType::F32));
  for (size_t n : {1u, 20u, 45u}) {
    const auto toks = tokens(n, 10 + static_cast<uint32_t>(n));
    const auto want = ref.forward(toks).back();
    const auto got = last_logits(*m, toks, 16, 2);
    double max_diff = 0;
    for (size_t i = 0; i < want.size(); ++i) max_diff = std::max(max_diff, std::fabs(static_cast<double>(got[i]) - want[i]));
    RecordProperty("max_logit_diff_" + std::to_string(n), std::to_string(max_diff));
    EXPECT_LT(max_diff, 2e-2) << n << " tokens";
    const auto argmax = [](const std::vector<float>& v) { return std::max_element(v.begin(), v.end()) - v.begin(); };
    EXPECT_EQ(argmax(got), argmax(want)) << n << " tokens";
  }
}

// Layer by layer: each layer's relative error stays small and never jumps.
TEST_P(PeerModelTest, LayerByLayerAgreesWithTheReference) {
  const GgufFile file = GgufFile::open(model_path(TensorType::F32));
  const reference::DecoderReference ref(file);
  const auto m = open_model(model_path(TensorType::F32));
  const auto toks = tokens(40, 77);
  reference::ReferenceTrace want;
  ref.forward(toks, &want);
  ModelTrace got;
  last_logits(*m, toks, 16, 2, &got);
  EXPECT_LT(rel(got.embedding, want.embedding), 1e-6);
  EXPECT_TRUE(got.per_layer_input.empty());
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

TEST_P(PeerModelTest, UbatchSizeDoesNotChangeLogits) {
  const auto m = open_model(model_path(TensorType::Q8_0));
  const auto toks = tokens(100, 1);
  const auto whole = last_logits(*m, toks, 100, 2);
  EXPECT_EQ(last_logits(*m, toks, 7, 2), whole);
  EXPECT_EQ(last_logits(*m, toks, 32, 1), whole);
}

// Continuous batching (Model::eval_batch): three sequences' steps in one forward pass
// — prompt chunks of different lengths, then one token each, one sequence wanting no
// logits — give each sequence exactly what it gets evaluated alone (Q8_0 and Q4_K rows
// are integer dot products, whatever the batch).
TEST_P(PeerModelTest, SequencesInOneBatchEqualEachAlone) {
  for (TensorType t : {TensorType::Q8_0, TensorType::Q4_K}) {
    const auto m = open_model(model_path(t));
    ThreadPool pool(2);
    const std::vector<std::vector<int32_t>> prompts = {tokens(9, 11), tokens(3, 12), tokens(14, 13)};
    std::vector<KvCache> caches, alone;
    std::vector<std::vector<float>> logits(3, std::vector<float>(m->n_vocab())), want = logits;
    for (int i = 0; i < 3; ++i) {
      caches.push_back(m->new_cache(64, 16));
      alone.push_back(m->new_cache(64, 16));
    }
    auto batch = [&](const std::vector<std::vector<int32_t>>& chunks, bool skip_middle) {
      std::vector<Model::SequenceStep> steps;
      for (int i = 0; i < 3; ++i) {
        float* out = skip_middle && i == 1 ? nullptr : logits[i].data();
        steps.push_back({&caches[i], chunks[i], out});
        if (out != nullptr) m->eval(alone[i], chunks[i], 16, pool, want[i].data());
        else m->eval(alone[i], chunks[i], 16, pool, nullptr);
      }
      m->eval_batch(steps, pool);
    };
    batch(prompts, false);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(logits[i], want[i]) << type_name(t) << " prompt " << i;
    for (int step = 0; step < 3; ++step) {
      std::vector<std::vector<int32_t>> next;
      for (int i = 0; i < 3; ++i) next.push_back({static_cast<int32_t>(100 + 37 * i + step)});
      batch(next, step == 1);
      for (int i = 0; i < 3; ++i) {
        if (step == 1 && i == 1) continue;
        EXPECT_EQ(logits[i], want[i]) << type_name(t) << " sequence " << i << " step " << step;
      }
    }
    for (int i = 0; i < 3; ++i) EXPECT_EQ(caches[i].n_past(), alone[i].n_past());
  }
}

// With the batch-invariant float order, prefill and token-by-token decode agree bit
// for bit (f16 weights: the float orders are what differs between the two).
TEST_P(PeerModelTest, PrefillEqualsTokenByTokenDecode) {
  struct BatchInvariant {
    BatchInvariant() { set_float_batch_invariant(true); }
    ~BatchInvariant() { set_float_batch_invariant(false); }
  } batch_invariant;
  for (TensorType t : {TensorType::F16, TensorType::Q4_K}) {
    const auto m = open_model(model_path(t));
    const auto toks = tokens(60, 2);
    ThreadPool pool(2);
    KvCache cache = m->new_cache(128, 4);
    std::vector<float> logits(m->n_vocab());
    for (int32_t tok : toks) m->eval(cache, std::span<const int32_t>(&tok, 1), 4, pool, logits.data());
    EXPECT_EQ(cache.n_past(), 60u);
    EXPECT_EQ(logits, last_logits(*m, toks, 64, 2)) << type_name(t);
  }
}

TEST_P(PeerModelTest, RefusesContextOverflowAndBadTokens) {
  const auto m = open_model(model_path(TensorType::Q8_0));
  ThreadPool pool(1);
  KvCache cache = m->new_cache(8, 8);
  std::vector<float> logits(m->n_vocab());
  EXPECT_THROW(m->eval(cache, tokens(9, 3), 8, pool, logits.data()), Error);
  const std::vector<int32_t> bad = {1, 40000};
  EXPECT_THROW(m->eval(cache, bad, 8, pool, logits.data()), Error);
}

// Copies a file with one tensor renamed or reshaped, or extra metadata.
std::string rewrite(const std::string& src_path, const std::string& out, const std::string& tensor,
                    const std::string& renamed, bool swap_dims, const std::string& extra_key = "") {
  const GgufFile src = GgufFile::open(src_path);
  GgufWriter w(out);
  for (const KeyValue& kv : src.metadata()) w.add_value(kv.key, kv.value);
  if (!extra_key.empty()) w.add_string(extra_key, "yarn");
  for (const TensorInfo& t : src.tensors()) {
    std::vector<int64_t> dims(t.ne.begin(), t.ne.begin() + t.n_dims);
    if (t.name == tensor && swap_dims) std::swap(dims[0], dims[1]);
    w.add_tensor(t.name == tensor && !renamed.empty() ? renamed : t.name, t.type, dims);
  }
  w.write_header();
  for (const TensorInfo& t : src.tensors()) w.write_tensor_data(t.data, t.n_bytes);
  w.finish();
  return out;
}

std::string open_error(const std::string& path) {
  try {
    open_model(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST_P(PeerModelTest, BadFilesAreRefusedByName) {
  const std::string src = model_path(TensorType::Q8_0);
  const bool llama = GetParam().starts_with("llama");
  const std::string ffn = open_error(rewrite(src, dir_->file("swapped.gguf"), "blk.1.ffn_gate.weight", "", true));
  EXPECT_NE(ffn.find("tensor 'blk.1.ffn_gate.weight' has shape"), std::string::npos) << ffn;
  const std::string arch = GetParam().substr(0, GetParam().find('-'));
  const std::string scaling =
      open_error(rewrite(src, dir_->file("yarn.gguf"), "", "", false, arch + ".rope.scaling.type"));
  EXPECT_NE(scaling.find("RoPE scaling 'yarn'"), std::string::npos) << scaling;
  if (llama) {
    // A bias the implementation would silently ignore is refused instead.
    const std::string bias =
        open_error(rewrite(src, dir_->file("bias.gguf"), "blk.0.attn_norm.weight", "blk.0.attn_q.bias", false));
    EXPECT_NE(bias.find("'blk.0.attn_q.bias' is not supported"), std::string::npos) << bias;
  } else {
    const std::string missing =
        open_error(rewrite(src, dir_->file("no-qnorm.gguf"), "blk.2.attn_q_norm.weight", "blk.2.unused.weight", false));
    EXPECT_NE(missing.find("missing tensor 'blk.2.attn_q_norm.weight'"), std::string::npos) << missing;
  }
}

INSTANTIATE_TEST_SUITE_P(Peers, PeerModelTest, ::testing::Values("llama-tiny", "openelm-tiny"),
                         [](const auto& param_info) { return param_info.param == "llama-tiny" ? "Llama" : "OpenElm"; });

}  // namespace
}  // namespace edgelm
