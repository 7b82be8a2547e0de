// edgelm synth: the presets match the spec's numbers, written files have the spec's
// tensor names/shapes/types, the vocabulary is copied verbatim, and output is
// deterministic for a seed whatever the thread count.
#include <gtest/gtest.h>

#include <cmath>

#include "gguf/gguf_reader.h"
#include "models/gemma4/gemma4_config.h"
#include "quant/dequantize.h"
#include "synth/synth_gemma4.h"
#include "test_support.h"
#include "util/error.h"

namespace edgelm {
namespace {

// The small (32000-token) Llama 2 vocabulary keeps test files small.
std::string small_vocab() { return (test::shared_testdata() / "vocab" / "ggml-vocab-llama-spm.gguf").string(); }

std::string synth(const test::TempDir& dir, const std::string& name, TensorType quant, uint64_t seed = 7,
                  int threads = 2) {
  SynthOptions o;
  o.preset = "tiny";
  o.quant = quant;
  o.vocab_path = small_vocab();
  o.seed = seed;
  o.threads = threads;
  o.out_path = dir.file(name);
  synth_gemma4(o);
  return o.out_path;
}

// Spec §9: E2B has 3 full layers owning KV (4, 9, 14) with 1 KV head of 512 dims:
// K+V in f16 is 6 KiB per token; 12 sliding KV-owning layers; 15 of 35 layers own KV.
TEST(SynthPresets, E2bMatchesTheSpec) {
  const Gemma4Config c = gemma4_preset("e2b").config;
  EXPECT_EQ(c.first_shared_layer(), 15u);
  std::vector<uint32_t> full_owners;
  uint32_t sliding_owners = 0, kv_bytes_per_token_full = 0;
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    if (!c.owns_kv(l)) continue;
    if (c.is_sliding[l]) {
      ++sliding_owners;
    } else {
      full_owners.push_back(l);
      kv_bytes_per_token_full += c.n_head_kv[l] * c.head_dim(l) * 2 /*K,V*/ * 2 /*f16*/;
    }
  }
  EXPECT_EQ(full_owners, (std::vector<uint32_t>{4, 9, 14}));
  EXPECT_EQ(sliding_owners, 12u);
  EXPECT_EQ(kv_bytes_per_token_full, 6u * 1024);
  // Shared layers read layer 13 (sliding) or 14 (full).
  for (uint32_t l = 15; l < c.n_layers; ++l) EXPECT_EQ(c.kv_source_layer(l), c.is_sliding[l] ? 13u : 14u);
}

// Spec §9: E4B has 4 full layers owning KV with 2 KV heads: 16 KiB per token; 20
// sliding KV-owning layers.
TEST(SynthPresets, E4bMatchesTheSpec) {
  const Gemma4Config c = gemma4_preset("e4b").config;
  uint32_t full = 0, sliding = 0, bytes = 0;
  for (uint32_t l = 0; l < c.first_shared_layer(); ++l) {
    if (c.is_sliding[l]) {
      ++sliding;
    } else {
      ++full;
      bytes += c.n_head_kv[l] * c.head_dim(l) * 4;
    }
  }
  EXPECT_EQ(full, 4u);
  EXPECT_EQ(sliding, 20u);
  EXPECT_EQ(bytes, 16u * 1024);
}

TEST(SynthPresets, UnknownPresetListsTheChoices) {
  try {
    gemma4_preset("e9b");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tiny, e2b, e4b"), std::string::npos) << e.what();
  }
}

TEST(Synth, TinyFileHasTheSpecTensorsShapesAndTypes) {
  test::TempDir dir;
  const GgufFile f = GgufFile::open(synth(dir, "tiny-q4k.gguf", TensorType::Q4_K));
  const Gemma4Config c = Gemma4Config::from_gguf(f);
  const GgufFile vocab = GgufFile::open(small_vocab());
  const int64_t V = static_cast<int64_t>(vocab.get_string_array("tokenizer.ggml.tokens").size());
  EXPECT_EQ(c.n_vocab, V);
  const int64_t d = c.d_model, P = c.per_layer_dim, L = c.n_layers;

  // f.tensor() throws (failing the test) when the tensor is missing.
  auto expect = [&](const std::string& name, std::vector<int64_t> shape) -> const TensorInfo& {
    const TensorInfo& t = f.tensor(name);
    EXPECT_EQ(t.n_dims, shape.size()) << name;
    for (size_t k = 0; k < std::min<size_t>(shape.size(), t.n_dims); ++k) EXPECT_EQ(t.ne[k], shape[k]) << name;
    return t;
  };
  EXPECT_EQ(expect("token_embd.weight", {d, V}).type, TensorType::Q6_K);
  EXPECT_EQ(expect("per_layer_token_embd.weight", {P * L, V}).type, TensorType::Q6_K);
  expect("per_layer_model_proj.weight", {d, P * L});
  EXPECT_EQ(expect("per_layer_proj_norm.weight", {P}).type, TensorType::F32);
  EXPECT_EQ(expect("rope_freqs.weight", {c.head_dim_full / 2}).type, TensorType::F32);
  EXPECT_EQ(f.find_tensor("output.weight"), nullptr);  // tied to token_embd
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    const int64_t hd = c.head_dim(l), H = c.n_head[l], KV = c.n_head_kv[l], F = c.n_ff[l];
    EXPECT_EQ(expect(b + "attn_q.weight", {d, H * hd}).type, TensorType::Q4_K);
    expect(b + "attn_output.weight", {H * hd, d});
    expect(b + "attn_q_norm.weight", {hd});
    expect(b + "ffn_gate.weight", {d, F});
    expect(b + "ffn_up.weight", {d, F});
    expect(b + "ffn_down.weight", {F, d});
    expect(b + "inp_gate.weight", {d, P});
    // proj rows are P = 32 long: not a multiple of 256, so the K-quant falls back to q8_0.
    EXPECT_EQ(expect(b + "proj.weight", {P, d}).type, TensorType::Q8_0);
    for (const char* norm : {"attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm", "post_norm"}) {
      EXPECT_EQ(expect(b + norm + ".weight", {d}).type, TensorType::F32);
    }
    expect(b + "layer_output_scale.weight", {1});
    if (c.owns_kv(l)) {
      expect(b + "attn_k.weight", {d, KV * hd});
      expect(b + "attn_k_norm.weight", {hd});
      EXPECT_EQ(f.find_tensor(b + "attn_v.weight") == nullptr, l == 2u) << "tiny has no attn_v on layer 2 only";
    } else {
      EXPECT_EQ(f.find_tensor(b + "attn_k.weight"), nullptr);
      EXPECT_EQ(f.find_tensor(b + "attn_v.weight"), nullptr);
    }
  }
  // Q4_K_M rule: ffn_down of layer 0 (first eighth) gets q6_k, layer 1 keeps q4_k.
  EXPECT_EQ(f.tensor("blk.0.ffn_down.weight").type, TensorType::Q6_K);
  EXPECT_EQ(f.tensor("blk.1.ffn_down.weight").type, TensorType::Q4_K);
}

TEST(Synth, CopiesTheVocabularyVerbatim) {
  test::TempDir dir;
  const GgufFile f = GgufFile::open(synth(dir, "tiny.gguf", TensorType::Q8_0));
  const GgufFile vocab = GgufFile::open(small_vocab());
  size_t copied = 0;
  for (const KeyValue& kv : vocab.metadata()) {
    if (!kv.key.starts_with("tokenizer.")) continue;
    ++copied;
    const Value* v = f.find(kv.key);
    ASSERT_NE(v, nullptr) << kv.key;
    EXPECT_EQ(v->to_display(1000), kv.value.to_display(1000)) << kv.key;
  }
  EXPECT_GE(copied, 5u);
  EXPECT_EQ(f.get_string_array("tokenizer.ggml.tokens"), vocab.get_string_array("tokenizer.ggml.tokens"));
  EXPECT_EQ(f.architecture(), "gemma4");
}

TEST(Synth, SameSeedSameBytesWhateverTheThreadCount) {
  test::TempDir dir;
  const auto a = test::read_bytes(synth(dir, "a.gguf", TensorType::Q4_0, 11, 1));
  const auto b = test::read_bytes(synth(dir, "b.gguf", TensorType::Q4_0, 11, 2));
  const auto c = test::read_bytes(synth(dir, "c.gguf", TensorType::Q4_0, 12, 2));
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), c.size());
  EXPECT_NE(a, c);
}

// Weights follow the planned spread: token_embd rows have std 2/sqrt(d) (so logits
// have a spread of ~2) and are finite.
TEST(Synth, WeightScalesAreRealistic) {
  test::TempDir dir;
  const GgufFile f = GgufFile::open(synth(dir, "tiny-f16.gguf", TensorType::F16));
  const TensorInfo& t = f.tensor("token_embd.weight");
  std::vector<float> row(static_cast<size_t>(t.ne[0]));
  double sum2 = 0;
  const int rows = 200;
  for (int r = 0; r < rows; ++r) {
    dequantize_row(t.type, t.data + static_cast<uint64_t>(r) * t.row_bytes(), row.data(), t.ne[0]);
    for (float x : row) {
      ASSERT_TRUE(std::isfinite(x));
      sum2 += static_cast<double>(x) * x;
    }
  }
  const double std = std::sqrt(sum2 / (rows * t.ne[0]));
  EXPECT_NEAR(std, 2.0 / std::sqrt(static_cast<double>(t.ne[0])), 0.01);
  // rope_freqs: first quarter of the pairs rotate (1), the rest do not (1e30).
  const TensorInfo& rf = f.tensor("rope_freqs.weight");
  std::vector<float> freqs(static_cast<size_t>(rf.ne[0]));
  dequantize_row(TensorType::F32, rf.data, freqs.data(), rf.ne[0]);
  for (size_t j = 0; j < freqs.size(); ++j) EXPECT_EQ(freqs[j], j < freqs.size() / 4 ? 1.0f : 1e30f) << j;
}

TEST(Synth, RefusesTypesItCannotWrite) {
  test::TempDir dir;
  EXPECT_THROW(synth(dir, "x.gguf", TensorType::Q2_K), Error);
  EXPECT_FALSE(std::filesystem::exists(dir.file("x.gguf")));
}

}  // namespace
}  // namespace edgelm

namespace edgelm {
namespace {

TEST(Synth, TensorTypeOverridesApplyFirstMatchWithFallback) {
  test::TempDir dir;
  SynthOptions o;
  o.preset = "tiny";
  o.quant = TensorType::Q4_0;
  o.vocab_path = small_vocab();
  o.out_path = dir.file("o.gguf");
  o.tensor_types = {{"ffn_down", TensorType::Q8_0}, {"ffn_", TensorType::Q6_K}, {"^blk\\.3\\.proj", TensorType::Q4_K}};
  synth_gemma4(o);
  const GgufFile f = GgufFile::open(o.out_path);
  EXPECT_EQ(f.tensor("blk.0.ffn_down.weight").type, TensorType::Q8_0);  // first match wins
  EXPECT_EQ(f.tensor("blk.0.ffn_gate.weight").type, TensorType::Q6_K);
  EXPECT_EQ(f.tensor("blk.0.attn_q.weight").type, TensorType::Q4_0);    // no match: --quant
  EXPECT_EQ(f.tensor("blk.3.proj.weight").type, TensorType::Q8_0);      // 32-wide rows: q4_k falls back
  o.tensor_types = {{"([", TensorType::Q8_0}};
  EXPECT_THROW(synth_gemma4(o), Error);
}

}  // namespace
}  // namespace edgelm
