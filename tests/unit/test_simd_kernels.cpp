// SIMD kernels against the scalar reference, bit for bit, at every CPU level this
// machine supports: activation quantizers, every quantized rows kernel (random blocks
// covering all codes and scales, ragged row tiles, 1..9 tokens), matmul() through the
// dispatcher, and whole-model logits under EDGELM_CPU=scalar vs the best level.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/activations.h"
#include "kernels/cpu_features.h"
#include "kernels/matmul.h"
#include "kernels/packed_weights.h"
#include "kernels/ops.h"
#include "kernels/quant_kernels.h"
#include "models/gemma4/gemma4_model.h"
#include "quant/quantize.h"
#include "runtime/thread_pool.h"
#include "synth/synth_gemma4.h"
#include "test_support.h"
#include "util/error.h"
#include "util/half.h"

namespace edgelm {
namespace {

// The SIMD levels this CPU runs (the scalar one is the reference).
std::vector<CpuLevel> simd_levels() {
  std::vector<CpuLevel> levels;
  for (CpuLevel l : {CpuLevel::kAvx2, CpuLevel::kAvx512}) {
    if (cpu_features().supports(l)) levels.push_back(l);
  }
  return levels;
}

// Restores the process's CPU level when a test that changes it ends.
struct LevelGuard {
  CpuLevel saved = cpu_level();
  ~LevelGuard() { set_cpu_level(saved); }
};

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Floats whose 32-blocks have magnitudes 10^-max_exp10 .. 10^max_exp10 (and some exact
// zeros, repeated values and sign flips), so scales, ties and the max search all get
// exercised.
std::vector<float> varied_floats(int64_t n, uint32_t seed, int max_exp10 = 15) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<float> v(static_cast<size_t>(n));
  float block_scale = 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (i % 32 == 0) {
      const float e = (static_cast<float>(pick(rng)) / 99.0f * 2.0f - 1.0f) * static_cast<float>(max_exp10);
      block_scale = std::pow(10.0f, e);
    }
    const int p = pick(rng);
    if (p < 3) v[i] = 0.0f;
    else if (p < 6 && i > 0) v[i] = -v[i - 1];  // equal magnitude, other sign
    else v[i] = normal(rng) * block_scale;
  }
  return v;
}

// ---- Quantizers ----------------------------------------------------------------------

TEST(SimdQuantize, MatchesTheReferenceBitForBit) {
  for (CpuLevel level : simd_levels()) {
    const KernelTable& k = kernel_table(level);
    for (TensorType act : {TensorType::Q8_0, TensorType::Q8_K}) {
      for (uint32_t seed = 1; seed <= 40; ++seed) {
        const int64_t n = 256 * (1 + seed % 5);
        auto x = varied_floats(n, seed);
        if (seed == 7) std::fill(x.begin(), x.begin() + 256, 0.0f);  // all-zero blocks
        if (seed == 8) {
          for (float& v : x) v = 1e-3f;  // every element ties for the maximum
          x[5] = -1e-3f;
        }
        std::vector<uint8_t> want(activation_bytes(act, n)), got(want.size(), 0xcd);
        quantize_activations(act, x.data(), want.data(), n);
        k.quantizer(act)(x.data(), got.data(), n);
        ASSERT_EQ(got, want) << cpu_level_name(level) << " " << type_name(act) << " seed " << seed;
      }
    }
  }
}

// F16C rounding of a row equals the software f32_to_f16 on ties, subnormals, overflow
// to infinity, signed zeros and infinities (NaN payloads aside: not in activations).
TEST(SimdQuantize, F16RowsRoundLikeTheScalarConversion) {
  LevelGuard guard;
  std::vector<float> x = varied_floats(1000, 3, 9);
  for (float v : {0.0f, -0.0f, 65504.0f, 65519.9f, 65520.0f, -70000.0f, 6.1e-5f, 5.96e-8f, 2.98e-8f, 2.99e-8f,
                  1.0f + 1.0f / 2048.0f, 1.0f + 3.0f / 2048.0f, std::numeric_limits<float>::infinity()}) {
    x.push_back(v);
  }
  for (int i = 0; i < 5; ++i) x.push_back(static_cast<float>(i) * 1e-7f);  // a ragged tail of subnormals
  std::vector<uint16_t> want(x.size());
  for (size_t i = 0; i < x.size(); ++i) want[i] = f32_to_f16(x[i]);
  for (CpuLevel level : simd_levels()) {
    set_cpu_level(level);
    std::vector<uint16_t> got(x.size(), 0xcdcd);
    f32_to_f16_row(x.data(), got.data(), static_cast<int64_t>(x.size()));
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(got[i], want[i]) << cpu_level_name(level) << " x=" << x[i];
  }
}

// ---- GEGLU ------------------------------------------------------------------------------

TEST(SimdGeglu, MatchesTheReferenceBitForBit) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> wide(-12.0f, 12.0f);
  std::vector<float> gate, up;
  // Around the +-10 cut-offs, f16 rounding ties (halfway between two halves), tiny and
  // subnormal values, signed zeros, large values; plus random ones. Odd count: tails.
  for (float edge : {-10.0f, 10.0f}) {
    for (float v = edge; std::fabs(v - edge) < 1e-4f; v = std::nextafter(v, 0.0f)) gate.push_back(v);
    gate.push_back(std::nextafter(edge, edge * 2));
  }
  for (int h = 0x3c00; h < 0x3c40; ++h) {  // 1.0 .. 1.06: midpoints between neighbours
    const float lo = f16_to_f32(static_cast<uint16_t>(h)), hi = f16_to_f32(static_cast<uint16_t>(h + 1));
    gate.push_back((lo + hi) / 2);
    gate.push_back(-(lo + hi) / 2);
  }
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-7f, 6e-8f, 3e-8f, 1e30f, -1e30f, 65519.0f, 65520.0f}) gate.push_back(v);
  while (gate.size() < 1001) gate.push_back(wide(rng));
  for (size_t i = 0; i < gate.size(); ++i) up.push_back(i % 7 == 0 ? -wide(rng) : wide(rng));
  std::vector<float> want(gate.size());
  geglu_reference(gate.data(), up.data(), static_cast<int64_t>(gate.size()), want.data());
  for (CpuLevel level : simd_levels()) {
    for (size_t n : {gate.size(), size_t{7}, size_t{16}, size_t{17}}) {
      std::vector<float> got(n);
      kernel_table(level).geglu(gate.data(), up.data(), static_cast<int64_t>(n), got.data());
      for (size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(same_bits(got[i], want[i])) << cpu_level_name(level) << " gate " << gate[i] << " up " << up[i];
      }
    }
  }
}

// ---- Rows kernels ---------------------------------------------------------------------

// A finite f16 with a random exponent over most of the range.
uint16_t random_half(std::mt19937& rng) {
  std::uniform_real_distribution<float> mant(0.5f, 1.0f);
  std::uniform_int_distribution<int> exp(-20, 8), sign(0, 1);
  const float v = std::ldexp(mant(rng), exp(rng)) * (sign(rng) ? -1.0f : 1.0f);
  return f32_to_f16(v);
}

// Rows of random bytes (every code, scale and min value occurs), with each f16 scale
// field replaced by a finite random half so that results are finite.
std::vector<uint8_t> random_weights(TensorType type, int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  const uint64_t rb = row_bytes(type, static_cast<uint64_t>(cols));
  std::vector<uint8_t> w(rb * static_cast<uint64_t>(rows));
  for (uint8_t& b : w) b = static_cast<uint8_t>(rng());
  const TypeTraits& t = type_traits(type);
  std::vector<int> half_fields;  // byte offsets of f16 scales within a block
  switch (type) {
    case TensorType::Q4_0: case TensorType::Q8_0: case TensorType::IQ4_NL: half_fields = {0}; break;
    case TensorType::Q4_K: case TensorType::Q5_K: half_fields = {0, 2}; break;
    case TensorType::Q6_K: half_fields = {208}; break;
    case TensorType::BF16: {  // finite values of like magnitudes (so that every term counts in the sums)
      std::uniform_real_distribution<float> mant(0.5f, 1.0f);
      std::uniform_int_distribution<int> exp(-3, 3), sign(0, 1);
      for (uint64_t i = 0; i < w.size() / 2; ++i) {
        const uint16_t h = f32_to_bf16(std::ldexp(mant(rng), exp(rng)) * (sign(rng) ? -1.0f : 1.0f));
        std::memcpy(w.data() + 2 * i, &h, 2);
      }
      return w;
    }
    default: ADD_FAILURE() << "no layout for " << type_name(type);
  }
  for (uint64_t blk = 0; blk < w.size() / t.type_size; ++blk) {
    for (int off : half_fields) {
      const uint16_t h = random_half(rng);
      std::memcpy(w.data() + blk * t.type_size + off, &h, 2);
    }
  }
  return w;
}

struct Shape {
  int64_t rows, cols, tokens;
};

class SimdRowsTest : public ::testing::TestWithParam<TensorType> {};

TEST_P(SimdRowsTest, MatchesVecDotBitForBit) {
  const TensorType type = GetParam();
  const TensorType act = activation_type(type);
  const int64_t block = type_traits(type).block_size;
  std::vector<Shape> shapes = {{1, block, 1},      {7, 2 * block, 3},  {8, 256, 4},  {16, 512, 5},
                               {17, 768, 2},       {33, 256, 9},       {40, 1536, 1}, {5, 256, 8}};
  // Rows of single elements (bf16): lengths past a multiple of eight, which the reference
  // sums apart (its tail).
  if (block == 1) shapes.insert(shapes.end(), {{3, 13, 2}, {9, 1003, 5}, {4, 15, 7}});
  uint32_t seed = 100;
  for (const Shape& s : shapes) {
    ++seed;
    const int64_t cols = (s.cols + block - 1) / block * block;
    const auto w = random_weights(type, s.rows, cols, seed);
    const uint64_t act_row = activation_bytes(act, cols);
    std::vector<uint8_t> acts(act_row * static_cast<uint64_t>(s.tokens));
    std::vector<int32_t> sums(static_cast<size_t>(cols / 32 * s.tokens));
    std::vector<float> scales(sums.size());
    for (int64_t t = 0; t < s.tokens; ++t) {
      const auto x = varied_floats(cols, seed * 31 + static_cast<uint32_t>(t), 6);
      quantize_activations(act, x.data(), acts.data() + t * act_row, cols);
      if (act == TensorType::Q8_0) {
        q8_0_block_sums(acts.data() + t * act_row, cols, sums.data() + t * (cols / 32), scales.data() + t * (cols / 32));
      }
    }
    QuantMatmulArgs a;
    a.type = type;
    a.w = w.data();
    a.w_row_bytes = row_bytes(type, static_cast<uint64_t>(cols));
    a.rows = s.rows;
    a.cols = cols;
    a.acts = acts.data();
    a.act_row_bytes = act_row;
    a.act_sums = act == TensorType::Q8_0 ? sums.data() : nullptr;
    a.act_scales = act == TensorType::Q8_0 ? scales.data() : nullptr;
    a.n_tokens = s.tokens;
    a.y_stride = s.rows;
    std::vector<float> want(static_cast<size_t>(s.rows * s.tokens));
    a.y = want.data();
    scalar_kernel_table().rows_kernel(type)(a, 0, s.rows);
    for (CpuLevel level : simd_levels()) {
      const RowsKernel kernel = kernel_table(level).rows_kernel(type);
      ASSERT_NE(kernel, nullptr) << cpu_level_name(level);
      std::vector<float> got(want.size(), -12345.0f);
      a.y = got.data();
      // Two ranges, the first not a whole number of tiles, as threads may see them.
      const int64_t split = s.rows / 2;
      kernel(a, 0, split);
      kernel(a, split, s.rows);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_TRUE(same_bits(got[i], want[i]))
            << cpu_level_name(level) << " " << type_name(type) << " rows " << s.rows << " cols " << cols
            << " tokens " << s.tokens << " at row " << i % s.rows << " token " << i / s.rows << ": " << got[i]
            << " vs " << want[i];
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(QuantTypes, SimdRowsTest,
                         ::testing::Values(TensorType::Q4_0, TensorType::Q8_0, TensorType::IQ4_NL, TensorType::Q4_K,
                                           TensorType::Q5_K, TensorType::Q6_K, TensorType::BF16),
                         [](const ::testing::TestParamInfo<TensorType>& p) { return std::string(type_name(p.param)); });

// matmul() end to end (quantizer, block sums, threads, tiles) at every level equals the
// scalar level, for quantized and float weights.
TEST(SimdMatmul, EveryLevelEqualsScalar) {
  LevelGuard guard;
  ThreadPool pool(3);
  for (TensorType type : {TensorType::Q4_0, TensorType::Q8_0, TensorType::IQ4_NL, TensorType::Q4_K, TensorType::Q5_K,
                          TensorType::Q6_K, TensorType::F16, TensorType::F32, TensorType::BF16}) {
    const int64_t rows = 45, cols = 512, tokens = 6;
    std::vector<uint8_t> w(row_bytes(type, cols) * rows);
    const auto wf = varied_floats(rows * cols, 5, 4);
    for (int64_t r = 0; r < rows; ++r) quantize_row(type, wf.data() + r * cols, w.data() + r * row_bytes(type, cols), cols);
    const WeightMatrix m{type, w.data(), cols, rows, row_bytes(type, cols), nullptr};
    const auto x = varied_floats(cols * tokens, 6, 6);
    set_cpu_level(CpuLevel::kScalar);
    std::vector<float> want(static_cast<size_t>(rows * tokens));
    matmul(m, x.data(), tokens, want.data(), pool);
    for (CpuLevel level : simd_levels()) {
      set_cpu_level(level);
      std::vector<float> got(want.size());
      matmul(m, x.data(), tokens, got.data(), pool);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_TRUE(same_bits(got[i], want[i])) << cpu_level_name(level) << " " << type_name(type) << " at " << i;
      }
    }
  }
}

// Packed copies (kernels/packed_weights.h) through matmul() at every SIMD level equal
// the scalar level on the file layout: ragged row counts (partial last tiles), several
// row lengths and token counts (every token-group size of the kernels).
TEST(SimdMatmul, PackedWeightsEqualScalar) {
  LevelGuard guard;
  ThreadPool pool(3);
  if (simd_levels().empty()) GTEST_SKIP() << "no SIMD level on this CPU";
  for (TensorType type : {TensorType::Q4_0, TensorType::IQ4_NL, TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K}) {
    for (const auto& [rows, cols, tokens] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
             {45, 512, 6}, {16, 256, 1}, {17, 768, 9}, {1, 256, 3}, {130, 256, 20}, {8, 1024, 17},
             // Whole groups of tiles for prompts (AVX-512: 3 tiles of 16 rows), with
             // single tiles and a partial one after them, every token tail.
             {1200, 256, 4}, {1200, 256, 5}, {1200, 256, 6}, {1217, 256, 7}, {800, 512, 13}}) {
      std::vector<uint8_t> w(row_bytes(type, cols) * static_cast<uint64_t>(rows));
      const auto wf = varied_floats(rows * cols, 7, 4);
      for (int64_t r = 0; r < rows; ++r) quantize_row(type, wf.data() + r * cols, w.data() + r * row_bytes(type, cols), cols);
      const WeightMatrix m{type, w.data(), cols, rows, row_bytes(type, cols), nullptr};
      const auto x = varied_floats(cols * tokens, 8, 6);
      set_cpu_level(CpuLevel::kScalar);
      std::vector<float> want(static_cast<size_t>(rows * tokens));
      matmul(m, x.data(), tokens, want.data(), pool);
      for (CpuLevel level : simd_levels()) {
        set_cpu_level(level);
        WeightMatrix packed = m;
        pack_weight_matrix(packed, /*release_file_pages=*/false);
        ASSERT_TRUE(packed.packed) << cpu_level_name(level);
        ASSERT_EQ(packed.packed->level, level);
        std::vector<float> got(want.size(), -1.0f);
        matmul(packed, x.data(), tokens, got.data(), pool);
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_TRUE(same_bits(got[i], want[i])) << cpu_level_name(level) << " " << type_name(type) << " rows " << rows
                                                  << " cols " << cols << " tokens " << tokens << " at " << i;
        }
        // Under another level the packed copy is not used: the mapping still is.
        set_cpu_level(CpuLevel::kScalar);
        std::vector<float> fallback(want.size());
        matmul(packed, x.data(), tokens, fallback.data(), pool);
        ASSERT_EQ(std::memcmp(fallback.data(), want.data(), want.size() * sizeof(float)), 0);
      }
    }
  }
}

// ---- CPU levels -------------------------------------------------------------------------

TEST(CpuLevels, NamesRoundTripAndUnsupportedLevelsAreRefused) {
  for (CpuLevel l : {CpuLevel::kScalar, CpuLevel::kAvx2, CpuLevel::kAvx512}) {
    EXPECT_EQ(parse_cpu_level(cpu_level_name(l)), l);
  }
  EXPECT_THROW(parse_cpu_level("sse9"), Error);
  const CpuFeatures& f = cpu_features();
  EXPECT_TRUE(f.supports(CpuLevel::kScalar));
  EXPECT_TRUE(f.supports(f.best_level()));
  if (f.supports(CpuLevel::kAvx512)) {
    EXPECT_TRUE(f.supports(CpuLevel::kAvx2));
  }
  CpuFeatures none;
  EXPECT_EQ(none.best_level(), CpuLevel::kScalar);
  EXPECT_FALSE(none.supports(CpuLevel::kAvx2));
  if (!f.supports(CpuLevel::kAvx512)) {
    EXPECT_THROW(set_cpu_level(CpuLevel::kAvx512), Error);
  }
  EXPECT_NE(cpu_kernels_description().find(cpu_level_name(cpu_level())), std::string::npos);
}

// ---- Whole model -------------------------------------------------------------------------

class SimdModelTest : public ::testing::TestWithParam<TensorType> {
 protected:
  static void SetUpTestSuite() { dir_ = new test::TempDir(); }
  static void TearDownTestSuite() { delete dir_; }
  static std::string model(TensorType t) {
    const std::string path = dir_->file(std::string("tiny-") + type_name(t) + ".gguf");
    if (!std::filesystem::exists(path)) {
      SynthOptions o;
      o.preset = "tiny";
      o.quant = t;
      o.vocab_path = (test::shared_testdata() / "vocab" / "ggml-vocab-llama-spm.gguf").string();
      o.seed = 11;
      o.threads = 2;
      o.out_path = path;
      synth_gemma4(o);
    }
    return path;
  }
  static test::TempDir* dir_;
};
test::TempDir* SimdModelTest::dir_ = nullptr;

std::vector<float> logits_at(CpuLevel level, const Gemma4Model& m, const std::vector<int32_t>& prompt) {
  set_cpu_level(level);
  ThreadPool pool(2);
  KvCache cache = m.new_cache(256, 64);
  std::vector<float> logits(m.config().n_vocab);
  m.eval(cache, prompt, 64, pool, logits.data());  // prefill: several tokens per matmul
  const int32_t next[1] = {prompt[3]};
  m.eval(cache, next, 64, pool, logits.data());  // decode: one
  return logits;
}

TEST_P(SimdModelTest, LogitsAreIdenticalAtEveryLevel) {
  LevelGuard guard;
  const auto m = Gemma4Model::open(model(GetParam()));
  std::vector<int32_t> prompt = {1};
  for (int i = 0; i < 40; ++i) prompt.push_back(100 + 37 * i);
  const auto want = logits_at(CpuLevel::kScalar, *m, prompt);
  for (CpuLevel level : simd_levels()) {
    const auto got = logits_at(level, *m, prompt);
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0) << cpu_level_name(level);
    // With the weights packed for this level (kernels/packed_weights.h).
    set_cpu_level(level);
    const auto packed = Gemma4Model::open(model(GetParam()));
    packed->pack_weights();
    const auto got_packed = logits_at(level, *packed, prompt);
    EXPECT_EQ(std::memcmp(got_packed.data(), want.data(), want.size() * sizeof(float)), 0)
        << cpu_level_name(level) << " packed";
  }
}

// The same through the binary and the environment variable; a level the CPU lacks or
// an unknown name is a one-line error.
TEST_F(SimdModelTest, EdgelmCpuSelectsTheLevelInTheBinary) {
  const std::string path = model(TensorType::Q4_0);
  auto run = [&](const std::string& level, const std::string& logits) {
    const std::string cmd = "EDGELM_CPU=" + level + " " + EDGELM_BINARY + " run -m " + path +
                            " --prompt-ids '1 50 60 70 80 90' -n 3 -t 2 --logits-out " + logits + " 2>" + logits +
                            ".err >/dev/null";
    return std::system(cmd.c_str());
  };
  const std::string scalar = dir_->file("scalar.f32"), best = dir_->file("best.f32");
  ASSERT_EQ(run("scalar", scalar), 0);
  ASSERT_EQ(run(std::string(cpu_level_name(cpu_features().best_level())), best), 0);
  EXPECT_EQ(test::read_bytes(scalar), test::read_bytes(best));
  const auto err = test::read_bytes(best + ".err");
  EXPECT_NE(std::string(err.begin(), err.end()).find(std::string("kernels ") + std::string(cpu_level_name(cpu_features().best_level()))),
            std::string::npos);
  const std::string bad = dir_->file("bad.f32");
  EXPECT_NE(run("sse9", bad), 0);
  const auto bad_err = test::read_bytes(bad + ".err");
  EXPECT_EQ(std::string(bad_err.begin(), bad_err.end()), "error: unknown CPU level 'sse9' (expected scalar, avx2 or avx512)\n");
}

INSTANTIATE_TEST_SUITE_P(Quants, SimdModelTest,
                         ::testing::Values(TensorType::Q4_0, TensorType::Q8_0, TensorType::IQ4_NL, TensorType::Q4_K,
                                           TensorType::Q5_K, TensorType::Q6_K, TensorType::BF16),
                         [](const ::testing::TestParamInfo<TensorType>& p) { return std::string(type_name(p.param)); });

}  // namespace
}  // namespace edgelm
