// The peers' synthetic presets: real dimensions (spec peers.md), the files' tensors and
// metadata, and the building blocks only they use (normal RoPE, llama.cpp's SwiGLU).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "gguf/gguf_reader.h"
#include "kernels/float_dot.h"
#include "kernels/ops.h"
#include "kernels/matmul.h"
#include "models/blocks.h"
#include "runtime/thread_pool.h"
#include "synth/synth_decoder.h"
#include "test_support.h"
#include "util/error.h"

namespace edgelm {
namespace {

TEST(PeerPresets, Llama32ThreeBMatchesTheSpec) {
  const DecoderPreset p = decoder_preset("llama3.2-3b");
  const DecoderConfig& c = p.config;
  EXPECT_EQ(c.arch, "llama");
  EXPECT_EQ(c.n_layers, 28u);
  EXPECT_EQ(c.d_model, 3072u);
  EXPECT_EQ(c.head_dim, 128u);
  EXPECT_EQ(c.rope_dims, 128u);
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    EXPECT_EQ(c.n_head[l], 24u);
    EXPECT_EQ(c.n_head_kv[l], 8u);
    EXPECT_EQ(c.n_ff[l], 8192u);
  }
  EXPECT_FLOAT_EQ(c.rms_eps, 1e-5f);
  EXPECT_FLOAT_EQ(c.rope_base, 500000.0f);
  EXPECT_EQ(c.context_length, 131072u);
  EXPECT_FLOAT_EQ(c.kq_scale(), 1.0f / std::sqrt(128.0f));
  EXPECT_EQ(p.rope_freqs.size(), 64u);
  EXPECT_TRUE(p.chat);
  EXPECT_EQ(p.vocab_file, "ggml-vocab-llama-bpe.gguf");
}

// Llama 3's factors: 1 for wavelengths under original_context / high_freq_factor (2048
// positions), `factor` (32) above original_context / low_freq_factor (8192), smoothly
// between; so 1 first (the fastest pair), 32 last, never decreasing.
TEST(PeerPresets, Llama3RopeFactorsFollowTheWavelengthRule) {
  const std::vector<float> f = llama3_rope_factors(128, 500000.0f, 32.0f, 1.0f, 4.0f, 8192.0f);
  ASSERT_EQ(f.size(), 64u);
  EXPECT_EQ(f.front(), 1.0f);
  EXPECT_EQ(f.back(), 32.0f);
  int between = 0;
  for (size_t j = 0; j < f.size(); ++j) {
    const double wavelen = 2 * M_PI * std::pow(500000.0, 2.0 * static_cast<double>(j) / 128);
    if (wavelen < 2048) {
      EXPECT_EQ(f[j], 1.0f) << j;
    }
    if (wavelen > 8192) {
      EXPECT_EQ(f[j], 32.0f) << j;
    }
    if (wavelen > 2048 && wavelen < 8192) {
      ++between;
      EXPECT_GT(f[j], 1.0f) << j;
      EXPECT_LT(f[j], 32.0f) << j;
    }
    if (j > 0) {
      EXPECT_GE(f[j], f[j - 1]) << j;
    }
  }
  EXPECT_GT(between, 0);
}

// OpenELM-3B's layer-wise scaling, as the converter reads it from the Hugging Face
// config (num_query_heads / num_kv_heads lists, FFN widths from ffn_multipliers 0.5..4.0
// rounded to 256); the lists below were computed independently with Python from the
// config's rules. About 3.04 B parameters.
TEST(PeerPresets, OpenElmThreeBMatchesTheSpec) {
  const DecoderPreset p = decoder_preset("openelm-3b");
  const DecoderConfig& c = p.config;
  EXPECT_EQ(c.arch, "openelm");
  EXPECT_EQ(c.n_layers, 36u);
  EXPECT_EQ(c.d_model, 3072u);
  EXPECT_EQ(c.head_dim, 128u);
  std::vector<uint32_t> heads, kv;
  for (auto [count, h] : {std::pair{4, 12u}, {14, 16u}, {12, 20u}, {6, 24u}}) {
    for (int i = 0; i < count; ++i) {
      heads.push_back(h);
      kv.push_back(h / 4);
    }
  }
  EXPECT_EQ(c.n_head, heads);
  EXPECT_EQ(c.n_head_kv, kv);
  const std::vector<uint32_t> ffn = {1536, 1792, 2048, 2560, 2816, 3072, 3328, 3584, 4096, 4352, 4608, 4864,
                                     5120, 5632, 5888, 6144, 6400, 6656, 7168, 7424, 7680, 7936, 8192, 8704,
                                     8960, 9216, 9472, 9728, 10240, 10496, 10752, 11008, 11264, 11776, 12032, 12288};
  EXPECT_EQ(c.n_ff, ffn);
  uint64_t params = 32000ull * c.d_model;
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    params += uint64_t{c.d_model} * (c.n_head[l] + 2 * c.n_head_kv[l]) * c.head_dim +
              uint64_t{c.n_head[l]} * c.head_dim * c.d_model + 3ull * c.d_model * c.n_ff[l];
  }
  EXPECT_NEAR(static_cast<double>(params) / 1e9, 3.036, 0.001);
  EXPECT_EQ(c.context_length, 2048u);
  EXPECT_FLOAT_EQ(c.rms_eps, 1e-6f);
  EXPECT_FLOAT_EQ(c.rope_base, 10000.0f);
  EXPECT_TRUE(p.rope_freqs.empty());
  EXPECT_FALSE(p.chat);
  EXPECT_EQ(p.vocab_file, "ggml-vocab-llama-spm.gguf");
}

TEST(PeerPresets, UnknownPresetListsThem) {
  try {
    decoder_preset("llama-9b");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("llama3.2-3b"), std::string::npos) << e.what();
  }
}

std::string synth_tiny(const test::TempDir& dir, const std::string& preset, const std::string& chat_template) {
  SynthOptions o;
  o.preset = preset;
  o.quant = TensorType::Q4_K;
  o.vocab_path = (test::shared_testdata() / "vocab" / "ggml-vocab-llama-spm.gguf").string();
  o.chat_template = chat_template;
  o.out_path = dir.file(preset + ".gguf");
  synth_decoder(o);
  return o.out_path;
}

TEST(PeerSynth, LlamaTinyHasTheConvertersTensorsAndTemplate) {
  test::TempDir dir;
  const GgufFile f = GgufFile::open(synth_tiny(dir, "llama-tiny", "{{ messages }}"));
  EXPECT_EQ(f.architecture(), "llama");
  EXPECT_EQ(f.find_tensor("output.weight"), nullptr);  // tied, as in Llama 3.2 1B/3B
  EXPECT_EQ(f.tensor("rope_freqs.weight").ne[0], 32);
  EXPECT_EQ(f.tensor("token_embd.weight").type, TensorType::Q6_K);
  EXPECT_EQ(f.tensor("blk.0.attn_q.weight").type, TensorType::Q4_K);
  EXPECT_EQ(f.tensor("blk.0.attn_v.weight").type, TensorType::Q4_K);
  EXPECT_EQ(f.tensor("blk.3.attn_v.weight").type, TensorType::Q6_K);  // Q4_K_M's "more bits": the last eighth
  EXPECT_EQ(f.tensor("blk.1.attn_k.weight").ne[1], 2 * 64);
  EXPECT_EQ(f.get_string("tokenizer.chat_template"), "{{ messages }}");
  EXPECT_EQ(f.get_u32("llama.vocab_size"), 32000u);
}

TEST(PeerSynth, OpenElmTinyHasPerLayerShapesAndNoTemplate) {
  test::TempDir dir;
  const GgufFile f = GgufFile::open(synth_tiny(dir, "openelm-tiny", "{{ ignored }}"));
  const DecoderConfig c = DecoderConfig::from_gguf(f, "openelm");
  EXPECT_EQ(c.n_head, (std::vector<uint32_t>{2, 4, 4, 6}));
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    EXPECT_EQ(f.tensor(b + "attn_qkv.weight").ne[1], (c.n_head[l] + 2 * c.n_head_kv[l]) * 64) << l;
    EXPECT_EQ(f.tensor(b + "ffn_down.weight").ne[0], c.n_ff[l]) << l;
  }
  // 2 heads of 64 = 128-wide rows: not a K-quant block, the Q8_0 fallback.
  EXPECT_EQ(f.tensor("blk.0.attn_output.weight").type, TensorType::Q8_0);
  EXPECT_FALSE(f.has("tokenizer.chat_template"));
  EXPECT_FALSE(f.has("openelm.vocab_size"));
}

// --- building blocks --------------------------------------------------------------

TEST(PeerBlocks, NormalRopeRotatesAdjacentPairs) {
  std::vector<float> v(8), c(4), s(4);
  std::iota(v.begin(), v.end(), 1.0f);
  rope_tables(5, 8, 10000.0f, nullptr, c.data(), s.data());
  std::vector<float> want = v;
  for (int j = 0; j < 4; ++j) {
    want[2 * j] = v[2 * j] * c[j] - v[2 * j + 1] * s[j];
    want[2 * j + 1] = v[2 * j] * s[j] + v[2 * j + 1] * c[j];
  }
  rope_normal_apply(v.data(), 8, c.data(), s.data());
  EXPECT_EQ(v, want);
  // Through RopeTables: position 0 is the identity for both pairings.
  const std::vector<uint32_t> position0 = {0};
  const RopeTables tables(position0, 8, 10000.0f, {});
  std::vector<float> w(16);
  std::iota(w.begin(), w.end(), 1.0f);
  const std::vector<float> before = w;
  tables.apply(RopePairing::kNormal, w.data(), 2, 8);
  tables.apply(RopePairing::kNeox, w.data(), 2, 8);
  EXPECT_EQ(w, before);
}

// ggml's vectorised e^x stays within a few ulp of libm's over the range SiLU meets.
TEST(PeerBlocks, VectorExpIsCloseToLibm) {
  for (int lanes : {16, 8}) {
    double worst = 0;
    for (float x = -87.0f; x <= 88.0f; x += 0.013f) {
      const double want = std::exp(static_cast<double>(x));
      worst = std::max(worst, std::fabs(llama_vector_expf(x, lanes) - want) / want);
    }
    EXPECT_LT(worst, 3e-7) << lanes << " lanes";
    EXPECT_EQ(llama_vector_expf(-200.0f, lanes), 0.0f);
    EXPECT_TRUE(std::isinf(llama_vector_expf(200.0f, lanes)));
  }
}

// Whole vectors of each row use the vectorised e^x, the row's tail libm's.
TEST(PeerBlocks, SwigluSplitsEachRowLikeLlamaCpp) {
  const int lanes = llama_float_lanes();
  const int64_t width = 2 * std::max(lanes, 1) + 3;
  std::vector<float> gate(static_cast<size_t>(2 * width)), up(gate.size()), out(gate.size());
  for (size_t i = 0; i < gate.size(); ++i) {
    gate[i] = std::sin(static_cast<float>(i) * 0.7f) * 6.0f;
    up[i] = std::cos(static_cast<float>(i) * 0.3f);
  }
  swiglu(gate.data(), up.data(), 2, width, out.data());
  for (int64_t r = 0; r < 2; ++r) {
    for (int64_t i = 0; i < width; ++i) {
      const float g = gate[r * width + i];
      const bool vectorised = lanes > 1 && i < width / lanes * lanes;
      const float e = vectorised ? llama_vector_expf(-g, lanes) : std::exp(-g);
      EXPECT_EQ(out[r * width + i], g / (1.0f + e) * up[r * width + i]) << r << " " << i;
    }
  }
}

// The gated FFN block: x += down · (act(gate · h) ⊙ up · h), with either activation.
TEST(PeerBlocks, GatedFfnAddsDownOfTheGatedProduct) {
  constexpr int64_t d = 32, F = 64, n = 3;
  std::vector<float> wg(d * F), wu(d * F), wd(F * d), h(n * d), x0(n * d);
  for (size_t i = 0; i < wg.size(); ++i) {
    wg[i] = std::sin(0.37f * static_cast<float>(i));
    wu[i] = std::cos(0.21f * static_cast<float>(i));
    wd[i] = std::sin(0.11f * static_cast<float>(i) + 1.0f) * 0.2f;
  }
  for (size_t i = 0; i < h.size(); ++i) {
    h[i] = std::cos(0.3f * static_cast<float>(i)) * 0.4f;
    x0[i] = static_cast<float>(i) * 0.01f;
  }
  auto matrix = [](const std::vector<float>& w, int64_t cols, int64_t rows) {
    WeightMatrix m;
    m.type = TensorType::F32;
    m.data = reinterpret_cast<const uint8_t*>(w.data());
    m.cols = cols;
    m.rows = rows;
    m.row_bytes = static_cast<uint64_t>(cols) * sizeof(float);
    return m;
  };
  const GatedFfnWeights w{matrix(wg, d, F), matrix(wu, d, F), matrix(wd, F, d)};
  ThreadPool pool(2);
  for (FfnActivation act : {FfnActivation::kSilu, FfnActivation::kGelu}) {
    std::vector<float> g(n * F), u(n * F), y(n * d);
    matmul(w.gate, h.data(), n, g.data(), pool);
    matmul(w.up, h.data(), n, u.data(), pool);
    if (act == FfnActivation::kSilu) swiglu(g.data(), u.data(), n, F, g.data());
    else geglu(g.data(), u.data(), n * F, g.data());
    matmul(w.down, g.data(), n, y.data(), pool);
    std::vector<float> x = x0;
    add_gated_ffn(w, act, h.data(), n, pool, x.data());
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(x[i], x0[i] + y[i]) << i;
  }
}

}  // namespace
}  // namespace edgelm
