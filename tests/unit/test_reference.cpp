// The reference Gemma 4 forward pass (tests/reference) checked against facts that
// follow from the spec (../shared/spec/gemma4.md §3-6), never against outputs it
// produced itself: op identities (RMS, GELU, softcap, RoPE), causality, the sliding
// window's receptive field, prefix consistency, and equivalences between files that
// the spec says must compute the same thing (attn_v absent = V from K, fused qkv,
// GQA head groups, KV sharing, tied output, layer_output_scale absent = 1).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "models/gemma4/gemma4_config.h"
#include "quant/dequantize.h"
#include "reference/gemma4_reference.h"
#include "synth_support.h"
#include "test_support.h"
#include "util/error.h"

namespace edgelm {
namespace {

using reference::Gemma4Reference;
using reference::ReferenceTrace;
using Logits = std::vector<std::vector<float>>;

std::vector<float> random_vector(uint64_t seed, size_t n, float lo, float hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<int32_t> random_tokens(uint64_t seed, size_t n, int32_t n_vocab) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> dist(0, n_vocab - 1);
  std::vector<int32_t> t(n);
  for (int32_t& x : t) x = dist(rng);
  return t;
}

double rms(const float* x, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return std::sqrt(s / n);
}

// =================================================================================
// Building blocks
// =================================================================================

TEST(ReferenceOps, RmsNormWithoutWeightHasUnitRms) {
  for (int n : {1, 7, 64, 256}) {
    std::vector<float> x = random_vector(static_cast<uint64_t>(n), static_cast<size_t>(n), -3.0f, 5.0f);
    std::vector<float> out(x.size());
    Gemma4Reference::rms_norm(x.data(), nullptr, n, 1e-6f, out.data());
    EXPECT_NEAR(rms(out.data(), n), 1.0, 1e-5) << n;
    // Direction is kept: out is a positive multiple of x.
    const double k = out[0] / x[0];
    EXPECT_GT(k, 0.0);
    for (int i = 0; i < n; ++i) EXPECT_NEAR(out[i], k * x[i], 1e-5 * (1 + std::fabs(out[i])));
  }
}

TEST(ReferenceOps, RmsNormWeightScalesEachElementAndMayWorkInPlace) {
  const int n = 48;
  std::vector<float> x = random_vector(1, n, -1.0f, 1.0f), w = random_vector(2, n, 0.5f, 2.0f);
  std::vector<float> plain(n), weighted(n);
  Gemma4Reference::rms_norm(x.data(), nullptr, n, 1e-6f, plain.data());
  Gemma4Reference::rms_norm(x.data(), w.data(), n, 1e-6f, weighted.data());
  for (int i = 0; i < n; ++i) EXPECT_NEAR(weighted[i], plain[i] * w[i], 1e-6f * (1 + std::fabs(weighted[i])));
  std::vector<float> inplace = x;
  Gemma4Reference::rms_norm(inplace.data(), w.data(), n, 1e-6f, inplace.data());
  EXPECT_EQ(inplace, weighted);
  // eps keeps a zero vector at zero instead of NaN.
  std::vector<float> zero(n, 0.0f), out(n, 1.0f);
  Gemma4Reference::rms_norm(zero.data(), w.data(), n, 1e-6f, out.data());
  for (float v : out) EXPECT_EQ(v, 0.0f);
  // eps enters as mean(x^2) + eps: a vector of rms r comes out with rms r / sqrt(r^2 + eps).
  std::vector<float> small(n, 1e-3f);
  Gemma4Reference::rms_norm(small.data(), nullptr, n, 1e-6f, out.data());
  EXPECT_NEAR(out[0], 1e-3 / std::sqrt(1e-6 + 1e-6), 1e-6);
}

TEST(ReferenceOps, GeluTanhIdentities) {
  EXPECT_EQ(Gemma4Reference::gelu_tanh(0.0f), 0.0f);
  for (float x : {0.01f, 0.3f, 1.0f, 2.5f, 7.0f}) {
    // 0.5x(1 + tanh(u)) - 0.5(-x)(1 + tanh(-u)) = x for the odd u(x) of the spec.
    EXPECT_NEAR(Gemma4Reference::gelu_tanh(x) - Gemma4Reference::gelu_tanh(-x), x, 1e-6f * (1 + x));
    const float u = std::sqrt(2.0f / 3.14159265358979f) * (x + 0.044715f * x * x * x);
    EXPECT_NEAR(Gemma4Reference::gelu_tanh(x), 0.5f * x * (1.0f + std::tanh(u)), 1e-6f * (1 + x));
  }
  EXPECT_NEAR(Gemma4Reference::gelu_tanh(10.0f), 10.0f, 1e-6f);
  EXPECT_NEAR(Gemma4Reference::gelu_tanh(-10.0f), 0.0f, 1e-6f);
  // Monotonic for x >= 0.
  float prev = 0.0f;
  for (float x = 0.05f; x < 6.0f; x += 0.05f) {
    EXPECT_GT(Gemma4Reference::gelu_tanh(x), prev);
    prev = Gemma4Reference::gelu_tanh(x);
  }
}

TEST(ReferenceOps, SoftcapIsBoundedOddMonotonicAndNearIdentityForSmallValues) {
  const float c = 30.0f;
  float prev = -c;
  for (float x = -1000.0f; x <= 1000.0f; x += 0.5f) {
    const float y = Gemma4Reference::softcap(x, c);
    EXPECT_LE(std::fabs(y), c);
    EXPECT_EQ(y, -Gemma4Reference::softcap(-x, c));
    EXPECT_GE(y, prev);
    prev = y;
  }
  EXPECT_LT(std::fabs(Gemma4Reference::softcap(25.0f, c)), c);
  EXPECT_NEAR(Gemma4Reference::softcap(0.01f, c), 0.01f, 1e-8f);
  EXPECT_NEAR(Gemma4Reference::softcap(45.0f, c), c * std::tanh(1.5f), 1e-5f);
  // c = 0: no capping (final_logit_softcapping absent).
  EXPECT_EQ(Gemma4Reference::softcap(123.0f, 0.0f), 123.0f);
}

TEST(ReferenceOps, RopeAtPositionZeroIsTheIdentity) {
  const std::vector<float> x = random_vector(3, 64, -2.0f, 2.0f);
  std::vector<float> y = x;
  Gemma4Reference::rope_neox(y.data(), 64, 0, 10000.0f, nullptr);
  EXPECT_EQ(y, x);
}

TEST(ReferenceOps, RopeRotatesThePairJAndJPlusHalfByTheSpecAngle) {
  const int n = 32;
  const float base = 10000.0f;
  const std::vector<float> x = random_vector(4, n, -2.0f, 2.0f);
  for (int pos : {1, 7, 100, 4097}) {
    std::vector<float> y = x;
    Gemma4Reference::rope_neox(y.data(), n, pos, base, nullptr);
    for (int j = 0; j < n / 2; ++j) {
      const double a = x[j], b = x[j + n / 2], ya = y[j], yb = y[j + n / 2];
      // Norm of the pair is kept...
      EXPECT_NEAR(std::hypot(ya, yb), std::hypot(a, b), 1e-5) << pos << " " << j;
      // ...and the pair (x_j, x_{j+n/2}) turns by theta_j = pos * base^(-2j/n).
      const double theta = pos * std::pow(base, -2.0 * j / n);
      double turned = std::atan2(yb, ya) - std::atan2(b, a) - theta;
      turned = std::remainder(turned, 2 * 3.14159265358979323846);
      EXPECT_NEAR(turned, 0.0, 1e-4) << pos << " " << j;
    }
  }
}

TEST(ReferenceOps, RopeOnlyTouchesTheFirstRopeDims) {
  const std::vector<float> x = random_vector(5, 64, -1.0f, 1.0f);
  std::vector<float> y = x;
  Gemma4Reference::rope_neox(y.data(), 16, 9, 10000.0f, nullptr);
  for (int i = 16; i < 64; ++i) EXPECT_EQ(y[i], x[i]) << i;
  bool changed = false;
  for (int i = 0; i < 16; ++i) changed |= y[i] != x[i];
  EXPECT_TRUE(changed);
}

TEST(ReferenceOps, RopeFreqFactorsDivideTheAngle) {
  const int n = 16;
  const std::vector<float> x = random_vector(6, n, -1.0f, 1.0f);
  std::vector<float> twos(n / 2, 2.0f), ones(n / 2, 1.0f), proportional(n / 2, 1e30f);
  for (int j = 0; j < n / 8; ++j) proportional[j] = 1.0f;  // first 25% rotate (spec §6)
  // f_j = 2 at position 2p turns by exactly the angle f_j = 1 turns at p.
  std::vector<float> a = x, b = x, c = x;
  Gemma4Reference::rope_neox(a.data(), n, 10, 1e6f, twos.data());
  Gemma4Reference::rope_neox(b.data(), n, 5, 1e6f, ones.data());
  EXPECT_EQ(a, b);
  Gemma4Reference::rope_neox(c.data(), n, 5, 1e6f, nullptr);
  EXPECT_EQ(b, c);  // null factors = all ones
  // f_j = 1e30: the pair is not rotated, at any position.
  for (int pos : {1, 1000, 131071}) {
    std::vector<float> y = x;
    Gemma4Reference::rope_neox(y.data(), n, pos, 1e6f, proportional.data());
    for (int j = n / 8; j < n / 2; ++j) {
      EXPECT_FLOAT_EQ(y[j], x[j]) << pos << " " << j;
      EXPECT_FLOAT_EQ(y[j + n / 2], x[j + n / 2]) << pos << " " << j;
    }
    bool rotated = false;
    for (int j = 0; j < n / 8; ++j) rotated |= y[j] != x[j];
    EXPECT_TRUE(rotated) << pos;
  }
}

TEST(ReferenceOps, RopeScoresDependOnlyOnTheDistance) {
  const int n = 64;
  const std::vector<float> q = random_vector(7, n, -1.0f, 1.0f), k = random_vector(8, n, -1.0f, 1.0f);
  auto score = [&](int pq, int pk) {
    std::vector<float> a = q, b = k;
    Gemma4Reference::rope_neox(a.data(), n, pq, 10000.0f, nullptr);
    Gemma4Reference::rope_neox(b.data(), n, pk, 10000.0f, nullptr);
    double s = 0;
    for (int i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
    return s;
  };
  for (int shift : {1, 13, 500}) {
    EXPECT_NEAR(score(9, 4), score(9 + shift, 4 + shift), 1e-4) << shift;
    EXPECT_NEAR(score(30, 30), score(30 + shift, 30 + shift), 1e-4) << shift;
  }
}

TEST(ReferenceOps, VisibilityIsCausalAndSlidingLayersSeeWTokens) {
  const uint32_t W = 4;
  for (int p = 0; p < 12; ++p) {
    int seen_full = 0, seen_sliding = 0;
    for (int t = 0; t < 12; ++t) {
      EXPECT_EQ(Gemma4Reference::visible(p, t, false, W), t <= p);
      EXPECT_EQ(Gemma4Reference::visible(p, t, true, W), t <= p && p - t < static_cast<int>(W));
      seen_full += Gemma4Reference::visible(p, t, false, W);
      seen_sliding += Gemma4Reference::visible(p, t, true, W);
    }
    EXPECT_EQ(seen_full, p + 1);
    EXPECT_EQ(seen_sliding, std::min(p + 1, static_cast<int>(W)));  // the window includes the current token
  }
}

// =================================================================================
// Hand-made f32 models: small enough to write variants of and compare
// =================================================================================

struct Tensor {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<float> data;
};
using Tensors = std::vector<Tensor>;

uint64_t name_seed(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
  return h;
}

constexpr int32_t kMiniVocab = 48;

Gemma4Config mini_config(std::vector<bool> sliding, uint32_t shared_kv_layers) {
  Gemma4Config c;
  c.n_layers = static_cast<uint32_t>(sliding.size());
  c.d_model = 32;
  c.n_vocab = kMiniVocab;
  c.context_length = 256;
  c.is_sliding = std::move(sliding);
  c.n_ff.assign(c.n_layers, 64);
  c.n_head.assign(c.n_layers, 4);
  c.n_head_kv.assign(c.n_layers, 2);
  c.head_dim_full = 16;
  c.head_dim_swa = 8;
  c.rope_dims_full = 16;
  c.rope_dims_swa = 8;
  c.rope_base_full = 1e6f;
  c.rope_base_swa = 1e4f;
  c.sliding_window = 4;
  c.shared_kv_layers = shared_kv_layers;
  c.rms_eps = 1e-6f;
  c.final_logit_softcap = 30.0f;
  c.per_layer_dim = 8;
  return c;
}

// Every tensor of the spec (§2) for config `c`, f32, values seeded by tensor name so
// variants of a model share all the weights they do not change.
Tensors mini_tensors(const Gemma4Config& c) {
  Tensors ts;
  const int64_t d = c.d_model, V = c.n_vocab, P = c.per_layer_dim, L = c.n_layers;
  auto matrix = [&](const std::string& name, int64_t n_in, int64_t n_out, float std) {
    const float a = std * std::sqrt(3.0f);
    ts.push_back({name, {n_in, n_out}, random_vector(name_seed(name), static_cast<size_t>(n_in * n_out), -a, a)});
  };
  auto norm = [&](const std::string& name, int64_t n, float scale = 1.0f) {
    std::vector<float> v = random_vector(name_seed(name), static_cast<size_t>(n), 0.9f, 1.1f);
    for (float& x : v) x *= scale;
    ts.push_back({name, {n}, std::move(v)});
  };
  const float inv_sqrt_d = 1.0f / std::sqrt(static_cast<float>(d));
  matrix("token_embd.weight", d, V, 2.0f * inv_sqrt_d);
  if (P > 0) {
    matrix("per_layer_token_embd.weight", P * L, V, 1.0f / std::sqrt(static_cast<float>(P)));
    matrix("per_layer_model_proj.weight", d, P * L, inv_sqrt_d);
    norm("per_layer_proj_norm.weight", P);
  }
  norm("output_norm.weight", d);
  std::vector<float> freqs(c.rope_dims_full / 2, 1e30f);
  for (size_t j = 0; j < freqs.size() / 4; ++j) freqs[j] = 1.0f;
  ts.push_back({"rope_freqs.weight", {static_cast<int64_t>(freqs.size())}, freqs});
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    const int64_t hd = c.head_dim(l), H = c.n_head[l], KV = c.n_head_kv[l], F = c.n_ff[l];
    const float qk = 1.2f / std::pow(static_cast<float>(hd), 0.25f);
    norm(b + "attn_norm.weight", d);
    matrix(b + "attn_q.weight", d, H * hd, inv_sqrt_d);
    if (c.owns_kv(l)) {
      matrix(b + "attn_k.weight", d, KV * hd, inv_sqrt_d);
      matrix(b + "attn_v.weight", d, KV * hd, inv_sqrt_d);
      norm(b + "attn_k_norm.weight", hd, qk);
    }
    matrix(b + "attn_output.weight", H * hd, d, 1.0f / std::sqrt(static_cast<float>(H * hd)));
    norm(b + "attn_q_norm.weight", hd, qk);
    norm(b + "post_attention_norm.weight", d);
    norm(b + "ffn_norm.weight", d);
    matrix(b + "ffn_gate.weight", d, F, inv_sqrt_d);
    matrix(b + "ffn_up.weight", d, F, inv_sqrt_d);
    matrix(b + "ffn_down.weight", F, d, 1.0f / std::sqrt(static_cast<float>(F)));
    norm(b + "post_ffw_norm.weight", d);
    if (P > 0) {
      matrix(b + "inp_gate.weight", d, P, inv_sqrt_d);
      matrix(b + "proj.weight", P, d, 1.0f / std::sqrt(static_cast<float>(P)));
      norm(b + "post_norm.weight", d);
    }
    ts.push_back({b + "layer_output_scale.weight", {1}, random_vector(name_seed(b + "los"), 1, 0.6f, 1.0f)});
  }
  return ts;
}

Tensor& find(Tensors& ts, const std::string& name) {
  for (Tensor& t : ts) {
    if (t.name == name) return t;
  }
  throw std::runtime_error("test bug: no tensor " + name);
}

void erase(Tensors& ts, const std::string& name) {
  std::erase_if(ts, [&](const Tensor& t) { return t.name == name; });
}

std::string blk(int l, const char* suffix) { return "blk." + std::to_string(l) + "." + suffix + ".weight"; }

class ReferenceMini : public ::testing::Test {
 protected:
  std::string write(const Gemma4Config& c, const Tensors& ts) {
    const std::string path = dir_.file("mini-" + std::to_string(count_++) + ".gguf");
    GgufWriter w(path);
    w.add_string("general.architecture", "gemma4");
    c.write_gguf(w);
    for (const Tensor& t : ts) w.add_tensor(t.name, TensorType::F32, t.dims);
    w.write_header();
    for (const Tensor& t : ts) w.write_tensor_data(t.data.data(), t.data.size() * sizeof(float));
    w.finish();
    return path;
  }
  Logits run(const Gemma4Config& c, const Tensors& ts, const std::vector<int32_t>& tokens,
             ReferenceTrace* trace = nullptr) {
    const GgufFile f = GgufFile::open(write(c, ts));
    const Gemma4Reference ref(f);
    return ref.forward(tokens, trace);
  }

  test::TempDir dir_;
  int count_ = 0;
};

// Spec §5: a sliding layer sees W tokens including the current one, so a stack of L
// sliding layers makes position p depend on exactly the tokens p - L(W-1) .. p.
TEST_F(ReferenceMini, SlidingWindowBoundsTheReceptiveField) {
  for (int n_layers : {1, 2}) {
    const Gemma4Config c = mini_config(std::vector<bool>(static_cast<size_t>(n_layers), true), 0);
    const Tensors ts = mini_tensors(c);
    const int n = 14, reach = n_layers * (static_cast<int>(c.sliding_window) - 1);
    const std::vector<int32_t> tokens = random_tokens(11, n, kMiniVocab);
    const Logits base = run(c, ts, tokens);
    for (int q = 0; q < n; ++q) {
      std::vector<int32_t> other = tokens;
      other[q] = (other[q] + 1) % kMiniVocab;
      const Logits changed = run(c, ts, other);
      for (int p = 0; p < n; ++p) {
        const bool depends = q <= p && p - q <= reach;
        EXPECT_EQ(base[p] != changed[p], depends) << "layers " << n_layers << ": token " << q << ", position " << p;
      }
    }
  }
}

// A full layer (not sliding) lets every position see token 0, however far.
TEST_F(ReferenceMini, FullLayerSeesEveryEarlierToken) {
  const Gemma4Config c = mini_config({true, false}, 0);
  const Tensors ts = mini_tensors(c);
  std::vector<int32_t> tokens = random_tokens(12, 20, kMiniVocab);
  const Logits base = run(c, ts, tokens);
  tokens[0] = (tokens[0] + 5) % kMiniVocab;
  const Logits changed = run(c, ts, tokens);
  for (int p = 0; p < 20; ++p) EXPECT_NE(base[p], changed[p]) << p;
}

TEST_F(ReferenceMini, MissingAttnVMeansVIsTheRawKProjection) {
  const Gemma4Config c = mini_config({true, false, true, false}, 0);
  Tensors with_copy = mini_tensors(c);
  for (int l : {0, 1}) find(with_copy, blk(l, "attn_v")).data = find(with_copy, blk(l, "attn_k")).data;
  Tensors without = with_copy;
  for (int l : {0, 1}) erase(without, blk(l, "attn_v"));
  const std::vector<int32_t> tokens = random_tokens(13, 10, kMiniVocab);
  const Logits a = run(c, with_copy, tokens);
  EXPECT_EQ(a, run(c, without, tokens));
  EXPECT_NE(a, run(c, mini_tensors(c), tokens));  // control: a real attn_v matters
}

TEST_F(ReferenceMini, MissingLayerOutputScaleMeansOne) {
  const Gemma4Config c = mini_config({true, false}, 0);
  Tensors ones = mini_tensors(c), absent;
  for (Tensor& t : ones) {
    if (t.name.ends_with("layer_output_scale.weight")) t.data = {1.0f};
    else absent.push_back(t);
  }
  const std::vector<int32_t> tokens = random_tokens(14, 9, kMiniVocab);
  const Logits a = run(c, ones, tokens);
  EXPECT_EQ(a, run(c, absent, tokens));
  EXPECT_NE(a, run(c, mini_tensors(c), tokens));  // control: other scales matter
}

TEST_F(ReferenceMini, OutputWeightWhenPresentReplacesTheTiedEmbedding) {
  const Gemma4Config c = mini_config({true, false}, 0);
  const Tensors tied = mini_tensors(c);
  Tensors copy = tied;
  copy.push_back({"output.weight", find(copy, "token_embd.weight").dims, find(copy, "token_embd.weight").data});
  const std::vector<int32_t> tokens = random_tokens(15, 6, kMiniVocab);
  const Logits a = run(c, tied, tokens);
  EXPECT_EQ(a, run(c, copy, tokens));
  // A different output matrix: logits r use row r of output.weight, so swapping two
  // rows swaps those two logits and leaves the others.
  Tensor& out = find(copy, "output.weight");
  const int64_t d = c.d_model;
  std::swap_ranges(out.data.begin() + 3 * d, out.data.begin() + 4 * d, out.data.begin() + 10 * d);
  const Logits b = run(c, copy, tokens);
  for (size_t p = 0; p < tokens.size(); ++p) {
    for (int r = 0; r < kMiniVocab; ++r) {
      const int src = r == 3 ? 10 : r == 10 ? 3 : r;
      EXPECT_EQ(b[p][r], a[p][src]) << p << " " << r;
    }
  }
}

TEST_F(ReferenceMini, FusedQkvEqualsSeparateProjections) {
  const Gemma4Config c = mini_config({true, false, true, false}, 2);
  const Tensors separate = mini_tensors(c);
  Tensors fused = separate;
  for (int l = 0; l < 4; ++l) {
    Tensor qkv{blk(l, "attn_qkv"), {c.d_model, 0}, {}};
    for (const char* part : {"attn_q", "attn_k", "attn_v"}) {
      if (l >= 2 && std::string(part) != "attn_q") continue;  // shared layers: q only
      const Tensor& t = find(fused, blk(l, part));
      qkv.data.insert(qkv.data.end(), t.data.begin(), t.data.end());
      qkv.dims[1] += t.dims[1];
    }
    for (const char* part : {"attn_q", "attn_k", "attn_v"}) erase(fused, blk(l, part));
    fused.push_back(std::move(qkv));
  }
  const std::vector<int32_t> tokens = random_tokens(16, 9, kMiniVocab);
  EXPECT_EQ(run(c, separate, tokens), run(c, fused, tokens));
}

// Spec §3: query head i uses KV head i / (H/KV). A model with H = 4, KV = 2 equals one
// with KV = 4 whose K/V heads are [k0, k0, k1, k1].
TEST_F(ReferenceMini, GqaQueryHeadsShareKvHeadIOverGroup) {
  const Gemma4Config grouped = mini_config({true, false}, 0);
  Gemma4Config expanded = grouped;
  expanded.n_head_kv.assign(2, 4);
  const Tensors g = mini_tensors(grouped);
  Tensors e = g;
  for (uint32_t l = 0; l < 2; ++l) {
    const int64_t rows_per_head = grouped.head_dim(l) * grouped.d_model;  // hd rows of d
    for (const char* part : {"attn_k", "attn_v"}) {
      Tensor& t = find(e, blk(static_cast<int>(l), part));
      const std::vector<float> old = t.data;
      t.data.clear();
      for (int i = 0; i < 4; ++i) {
        const int j = i / 2;
        t.data.insert(t.data.end(), old.begin() + j * rows_per_head, old.begin() + (j + 1) * rows_per_head);
      }
      t.dims[1] *= 2;
    }
  }
  const std::vector<int32_t> tokens = random_tokens(17, 10, kMiniVocab);
  EXPECT_EQ(run(grouped, g, tokens), run(expanded, e, tokens));
}

// Spec §4: layer l >= S attends over the K/V of layer S-2 (sliding) or S-1 (full),
// computed at the same positions. Make every layer but the one under test pass x
// through unchanged (zero attn_output, ffn_down and proj, no output scale) so all
// layers see the same input; then the shared layer, reading its source's K/V, equals
// an owning layer that has copies of the source's attn_norm and K/V weights.
TEST_F(ReferenceMini, KvSharedLayersAttendOverTheirSourceLayersKv) {
  const Gemma4Config shared = mini_config({true, false, true, false}, 2);
  const Gemma4Config owning = mini_config({true, false, true, false}, 0);
  const std::vector<int32_t> tokens = random_tokens(18, 12, kMiniVocab);  // crosses W = 4
  for (int tested : {2, 3}) {
    const int src = static_cast<int>(shared.kv_source_layer(static_cast<uint32_t>(tested)));
    ASSERT_EQ(src, tested - 2);  // 2 (sliding) reads S-2 = 0, 3 (full) reads S-1 = 1
    Tensors base = mini_tensors(owning);  // K/V weights on every layer
    for (int l = 0; l < 4; ++l) {
      if (l == tested) continue;
      for (const char* part : {"attn_output", "ffn_down", "proj"}) {
        for (float& v : find(base, blk(l, part)).data) v = 0.0f;
      }
      erase(base, blk(l, "layer_output_scale"));
    }
    find(base, blk(tested, "attn_norm")).data = find(base, blk(src, "attn_norm")).data;
    for (const char* part : {"attn_k", "attn_v", "attn_k_norm"}) {
      find(base, blk(tested, part)).data = find(base, blk(src, part)).data;
    }
    Tensors shared_ts = base;
    for (int l : {2, 3}) {
      for (const char* part : {"attn_k", "attn_v", "attn_k_norm"}) erase(shared_ts, blk(l, part));
    }
    const Logits a = run(shared, shared_ts, tokens);
    EXPECT_EQ(a, run(owning, base, tokens)) << "layer " << tested;
    // Control: with K weights of its own, the layer computes something else.
    Tensors own = base;
    Tensor& k = find(own, blk(tested, "attn_k"));
    k.data = random_vector(99, k.data.size(), -0.3f, 0.3f);
    EXPECT_NE(a, run(owning, own, tokens)) << "layer " << tested;
  }
}

// Spec §2: KV-shared layers' attn_k/attn_v/attn_k_norm, if present, are unused.
TEST_F(ReferenceMini, KvTensorsOnSharedLayersAreIgnored) {
  const Gemma4Config c = mini_config({true, true, false, true, false}, 2);
  const Tensors plain = mini_tensors(c);
  Tensors extra = plain;
  for (int l : {3, 4}) {
    const int64_t hd = c.head_dim(static_cast<uint32_t>(l)), kv = c.n_head_kv[static_cast<uint32_t>(l)];
    const size_t n = static_cast<size_t>(c.d_model * kv * hd);
    extra.push_back({blk(l, "attn_k"), {c.d_model, kv * hd}, random_vector(100 + l, n, -1.0f, 1.0f)});
    extra.push_back({blk(l, "attn_v"), {c.d_model, kv * hd}, random_vector(200 + l, n, -1.0f, 1.0f)});
    extra.push_back({blk(l, "attn_k_norm"), {hd}, random_vector(300 + l, static_cast<size_t>(hd), 0.1f, 3.0f)});
  }
  const std::vector<int32_t> tokens = random_tokens(19, 10, kMiniVocab);
  EXPECT_EQ(run(c, plain, tokens), run(c, extra, tokens));
}

// Spec §3: logits = c tanh(raw / c). Output norm weights of 20 push raw logits past c.
TEST_F(ReferenceMini, SoftcapAppliesCTanhToTheRawLogits) {
  Gemma4Config capped = mini_config({true, false}, 0), raw = capped;
  raw.final_logit_softcap = 0.0f;  // key not written
  Tensors ts = mini_tensors(capped);
  for (float& v : find(ts, "output_norm.weight").data) v *= 20.0f;
  const std::vector<int32_t> tokens = random_tokens(20, 5, kMiniVocab);
  const Logits a = run(capped, ts, tokens), b = run(raw, ts, tokens);
  float max_raw = 0.0f;
  for (size_t p = 0; p < tokens.size(); ++p) {
    for (int r = 0; r < kMiniVocab; ++r) {
      max_raw = std::max(max_raw, std::fabs(b[p][r]));
      EXPECT_NEAR(a[p][r], 30.0 * std::tanh(b[p][r] / 30.0), 2e-5 * (1 + std::fabs(a[p][r])));
      EXPECT_LT(std::fabs(a[p][r]), 30.0f);
    }
  }
  EXPECT_GT(max_raw, 30.0f) << "the test needs raw logits beyond the cap";
}

TEST_F(ReferenceMini, ModelWithoutPerLayerInputsRuns) {
  Gemma4Config c = mini_config({true, false}, 0);
  c.per_layer_dim = 0;
  ReferenceTrace trace;
  const Logits l = run(c, mini_tensors(c), random_tokens(21, 4, kMiniVocab), &trace);
  ASSERT_EQ(l.size(), 4u);
  EXPECT_TRUE(trace.per_layer_input.empty());
  for (float v : l.back()) EXPECT_TRUE(std::isfinite(v));
}

TEST_F(ReferenceMini, RejectsWrongShapesAndMissingTensors) {
  const Gemma4Config c = mini_config({true, false}, 0);
  Tensors wrong = mini_tensors(c);
  find(wrong, blk(1, "ffn_up")).dims = {c.d_model, 32};
  find(wrong, blk(1, "ffn_up")).data.resize(static_cast<size_t>(c.d_model * 32));
  try {
    run(c, wrong, {1});
    FAIL() << "wrong shape accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("blk.1.ffn_up.weight"), std::string::npos) << e.what();
  }
  Tensors missing = mini_tensors(c);
  erase(missing, blk(0, "attn_k_norm"));
  try {
    run(c, missing, {1});
    FAIL() << "missing tensor accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("blk.0.attn_k_norm.weight"), std::string::npos) << e.what();
  }
}

// =================================================================================
// The synthetic `tiny` preset (every feature of E2B/E4B, 32000-token vocabulary)
// =================================================================================

class ReferenceTiny : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    file_ = new GgufFile(GgufFile::open(test::synth_tiny_gemma4(*dir_, 5, TensorType::Q8_0, "tiny-q8_0.gguf")));
    ref_ = new Gemma4Reference(*file_);
  }
  static void TearDownTestSuite() {
    delete ref_;
    delete file_;
    delete dir_;
  }
  static int32_t vocab() { return static_cast<int32_t>(ref_->config().n_vocab); }

  static test::TempDir* dir_;
  static GgufFile* file_;
  static Gemma4Reference* ref_;
};
test::TempDir* ReferenceTiny::dir_ = nullptr;
GgufFile* ReferenceTiny::file_ = nullptr;
Gemma4Reference* ReferenceTiny::ref_ = nullptr;

TEST_F(ReferenceTiny, LogitsAreFiniteCappedAndNotFlat) {
  ASSERT_EQ(ref_->config().n_layers, 8u);
  ASSERT_EQ(vocab(), 32000);
  const std::vector<int32_t> tokens = random_tokens(30, 32, vocab());
  const auto t0 = std::chrono::steady_clock::now();
  const Logits logits = ref_->forward(tokens);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ reference ] forward of 32 tokens on tiny (q8_0, V = 32000): %.1f ms\n", ms);
  RecordProperty("forward_32_tokens_ms", std::to_string(ms));
  ASSERT_EQ(logits.size(), 32u);
  for (const auto& row : logits) {
    ASSERT_EQ(row.size(), 32000u);
    float lo = row[0], hi = row[0];
    for (float v : row) {
      ASSERT_TRUE(std::isfinite(v));
      ASSERT_LT(std::fabs(v), 30.0f);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    EXPECT_GT(hi - lo, 1.0f);
  }
  EXPECT_NE(logits[0], logits[1]);
}

TEST_F(ReferenceTiny, TraceFollowsTheSpecAtBothEnds) {
  const Gemma4Config& c = ref_->config();
  const std::vector<int32_t> tokens = random_tokens(31, 5, vocab());
  ReferenceTrace trace;
  const Logits logits = ref_->forward(tokens, &trace);
  const int d = static_cast<int>(c.d_model);
  // x = token_embd[id] * sqrt(d)
  const TensorInfo& emb = file_->tensor("token_embd.weight");
  std::vector<float> row(static_cast<size_t>(d));
  dequantize_row(emb.type, emb.data + static_cast<uint64_t>(tokens.back()) * emb.row_bytes(), row.data(), d);
  ASSERT_EQ(trace.embedding.size(), row.size());
  for (int i = 0; i < d; ++i) EXPECT_EQ(trace.embedding[i], row[i] * std::sqrt(static_cast<float>(d)));
  ASSERT_EQ(trace.per_layer_input.size(), c.n_layers);
  for (const auto& ple : trace.per_layer_input) EXPECT_EQ(ple.size(), c.per_layer_dim);
  ASSERT_EQ(trace.layer_output.size(), c.n_layers);
  for (const auto& x : trace.layer_output) EXPECT_EQ(x.size(), c.d_model);
  EXPECT_NE(trace.layer_output[0], trace.embedding);
  // final_norm = rms(x_L, output_norm); logits[r] = softcap(token_embd[r] . final_norm) (tied).
  const TensorInfo& on = file_->tensor("output_norm.weight");
  std::vector<float> expect(static_cast<size_t>(d));
  Gemma4Reference::rms_norm(trace.layer_output.back().data(), reinterpret_cast<const float*>(on.data), d, c.rms_eps,
                            expect.data());
  EXPECT_EQ(trace.final_norm, expect);
  for (int r : {0, 1, 2, 17, 12345, 31999}) {
    dequantize_row(emb.type, emb.data + static_cast<uint64_t>(r) * emb.row_bytes(), row.data(), d);
    double s = 0;
    for (int i = 0; i < d; ++i) s += static_cast<double>(row[i]) * trace.final_norm[i];
    EXPECT_NEAR(logits.back()[r], 30.0 * std::tanh(s / 30.0), 1e-5) << r;
  }
}

// Per-layer inputs depend on the token alone (spec §3: computed once per token).
TEST_F(ReferenceTiny, PerLayerInputsDependOnlyOnTheToken) {
  ReferenceTrace alone, in_context;
  ref_->forward({1234}, &alone);
  ref_->forward({7, 99, 31000, 1234}, &in_context);
  EXPECT_EQ(alone.embedding, in_context.embedding);
  EXPECT_EQ(alone.per_layer_input, in_context.per_layer_input);
  EXPECT_NE(alone.layer_output.back(), in_context.layer_output.back());
}

// Logits at position p do not change when tokens after p change.
TEST_F(ReferenceTiny, LaterTokensDoNotChangeEarlierLogits) {
  const std::vector<int32_t> tokens = random_tokens(32, 24, vocab());
  std::vector<int32_t> other = tokens;
  for (size_t p = 11; p < other.size(); ++p) other[p] = (other[p] + 777) % vocab();
  const Logits a = ref_->forward(tokens), b = ref_->forward(other);
  for (size_t p = 0; p <= 10; ++p) EXPECT_EQ(a[p], b[p]) << p;
  for (size_t p = 11; p < tokens.size(); ++p) EXPECT_NE(a[p], b[p]) << p;
}

// forward(tokens[0..k]) ends with forward(tokens)[k], also past the window of 32.
TEST_F(ReferenceTiny, PrefixConsistency) {
  const std::vector<int32_t> tokens = random_tokens(33, 40, vocab());
  const Logits all = ref_->forward(tokens);
  for (size_t k : {0u, 5u, 31u, 32u, 39u}) {
    const std::vector<int32_t> prefix(tokens.begin(), tokens.begin() + static_cast<ptrdiff_t>(k + 1));
    const Logits part = ref_->forward(prefix);
    ASSERT_EQ(part.size(), k + 1);
    EXPECT_EQ(part.back(), all[k]) << k;
  }
}

TEST_F(ReferenceTiny, RejectsTokenIdsOutsideTheVocabulary) {
  for (int32_t bad : {vocab(), vocab() + 5, -1}) {
    try {
      ref_->forward({1, bad});
      FAIL() << bad << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::to_string(bad)), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(ref_->forward({vocab() - 1}));
  EXPECT_TRUE(ref_->forward({}).empty());
}

}  // namespace
}  // namespace edgelm
