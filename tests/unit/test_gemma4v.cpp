// The gemma4v vision encoder: synthetic mmproj files, validation with clear errors,
// the resize-size rule, preprocessing, and the encoder against the spec-literal
// reference (tests/reference/gemma4v_reference.h) on random weights.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "image/resize.h"
#include "models/gemma4v/gemma4v_encoder.h"
#include "reference/gemma4v_reference.h"
#include "runtime/thread_pool.h"
#include "synth/synth_gemma4v.h"
#include "test_support.h"
#include "tools/test_images.h"
#include "util/error.h"

namespace edgelm {
namespace {

class Gemma4vTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    for (TensorType t : {TensorType::F32, TensorType::F16}) {
      MmprojSynthOptions o;
      o.preset = "tiny";
      o.quant = t;
      o.seed = 11;
      o.threads = 2;
      o.out_path = path(t);
      synth_gemma4v(o);
    }
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string path(TensorType t) { return dir_->file(std::string("mmproj-tiny-") + type_name(t) + ".gguf"); }

  // A copy of the tiny f32 mmproj with one key or tensor changed: `edit_key` may
  // rewrite or drop (return false) a key; `edit_tensor` may drop a tensor or change its dims.
  static std::string variant(const std::string& name,
                             const std::function<bool(std::string_view, GgufWriter&, const Value&)>& edit_key,
                             const std::function<bool(const TensorInfo&, std::vector<int64_t>&)>& edit_tensor = {}) {
    const GgufFile src = GgufFile::open(path(TensorType::F32));
    const std::string out = dir_->file(name + ".gguf");
    GgufWriter w(out);
    for (const KeyValue& kv : src.metadata()) {
      if (kv.key == "general.alignment") continue;
      if (edit_key(kv.key, w, kv.value)) w.add_value(kv.key, kv.value);
    }
    std::vector<const TensorInfo*> kept;
    for (const TensorInfo& t : src.tensors()) {
      std::vector<int64_t> dims(t.ne.begin(), t.ne.begin() + t.n_dims);
      if (edit_tensor && !edit_tensor(t, dims)) continue;
      uint64_t n = 1;
      for (int64_t d : dims) n *= static_cast<uint64_t>(d);
      if (n != t.n_elements) continue;  // a reshaped tensor must keep its element count
      w.add_tensor(t.name, t.type, dims);
      kept.push_back(&t);
    }
    w.write_header();
    for (const TensorInfo* t : kept) w.write_tensor_data(t->data, t->n_bytes);
    w.finish();
    return out;
  }

  static void expect_open_error(const std::string& file, const std::string& needle) {
    try {
      Gemma4vEncoder::open(file);
      FAIL() << "opened; expected an error mentioning '" << needle << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  }

  static test::TempDir* dir_;
};
test::TempDir* Gemma4vTest::dir_ = nullptr;

auto keep_all = [](std::string_view, GgufWriter&, const Value&) { return true; };

TEST_F(Gemma4vTest, SyntheticTinyFileLoadsWithThePresetsShape) {
  const auto enc = Gemma4vEncoder::open(path(TensorType::F32));
  const Gemma4vConfig& c = enc->config();
  EXPECT_EQ(c.width, 64u);
  EXPECT_EQ(c.n_blocks, 2u);
  EXPECT_EQ(c.n_head, 4u);
  EXPECT_EQ(c.head_dim, 16u);
  EXPECT_EQ(c.n_ff, 128u);
  EXPECT_EQ(c.patch_size, 16u);
  EXPECT_EQ(c.pool_kernel, 3u);
  EXPECT_EQ(c.projection_dim, 256u);  // the tiny text model's d_model
  EXPECT_EQ(enc->weights().n_positions, 10240u);
  EXPECT_TRUE(enc->weights().blocks[0].attn_q.clamps_input());
  EXPECT_FALSE(enc->weights().blocks[0].attn_v.clamps_input());
  EXPECT_EQ(enc->weights().blocks[1].out_scale.size(), 1u);
  EXPECT_EQ(enc->weights().std_bias.size(), 64u);
  for (const char* preset : {"e2b", "e4b"}) {
    const Gemma4vConfig p = gemma4v_preset(preset);
    EXPECT_EQ(p.width, 768u);
    EXPECT_EQ(p.n_blocks, 16u);
    EXPECT_EQ(p.head_dim, 64u);
  }
  EXPECT_EQ(gemma4v_preset("e2b").projection_dim, 1536u);
  EXPECT_EQ(gemma4v_preset("e4b").projection_dim, 2560u);
  EXPECT_THROW(gemma4v_preset("huge"), Error);
}

TEST_F(Gemma4vTest, BadFilesGiveErrorsNamingTheProblem) {
  expect_open_error(variant("no-proj-type", [](std::string_view k, GgufWriter&, const Value&) {
                      return k != "clip.projector_type";
                    }),
                    "clip.projector_type");
  expect_open_error(variant("other-proj", [](std::string_view k, GgufWriter& w, const Value&) {
                      if (k != "clip.projector_type") return true;
                      w.add_string(k, "gemma3");
                      return false;
                    }),
                    "'gemma3'");
  expect_open_error(variant("no-vision", [](std::string_view k, GgufWriter& w, const Value&) {
                      if (k != "clip.has_vision_encoder") return true;
                      w.add_bool(k, false);
                      return false;
                    }),
                    "clip.has_vision_encoder");
  expect_open_error(variant("odd-heads", [](std::string_view k, GgufWriter& w, const Value&) {
                      if (k != "clip.vision.attention.head_count") return true;
                      w.add_u32(k, 8);  // head_dim 8 is fine, but the tensors then mismatch nothing...
                      return false;
                    }),
                    "attn_q_norm");  // ... except the per-head norm of 16
  expect_open_error(variant("no-mean", [](std::string_view k, GgufWriter&, const Value&) {
                      return k != "clip.vision.image_mean";
                    }),
                    "clip.vision.image_mean");
  expect_open_error(variant("no-ffn-down", keep_all,
                            [](const TensorInfo& t, std::vector<int64_t>&) { return t.name != "v.blk.1.ffn_down.weight"; }),
                    "v.blk.1.ffn_down.weight");
  expect_open_error(variant("bad-patch", keep_all,
                            [](const TensorInfo& t, std::vector<int64_t>& dims) {
                              if (t.name == "v.patch_embd.weight") dims = {16, 16 * 3, 64};
                              return true;
                            }),
                    "v.patch_embd.weight");
  // A text model is not an mmproj.
  expect_open_error(variant("text-arch", [](std::string_view k, GgufWriter& w, const Value&) {
                      if (k != "general.architecture") return true;
                      w.add_string(k, "gemma4");
                      return false;
                    }),
                    "expected 'clip'");
}

TEST_F(Gemma4vTest, ProjectionMustMatchTheTextModel) {
  const Gemma4vConfig c = gemma4v_preset("tiny");
  EXPECT_NO_THROW(c.check_text_model(256, "m"));
  try {
    c.check_text_model(1536, "mmproj.gguf");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("256"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("1536"), std::string::npos) << e.what();
  }
}

// The size rule, worked by hand for the tiny/E2B encoder (token side 48 px; 70..1120
// tokens = 161280..2580480 px).
TEST_F(Gemma4vTest, TargetSizeKeepsAspectAndTokenBudget) {
  const Gemma4vConfig c = gemma4v_preset("tiny");
  // 640x480: round(13.33)=13 -> 624, round(10)=10 -> 480; 299520 px is within budget.
  EXPECT_EQ(gemma4v_target_size({640, 480}, c), (ImageSize{624, 480}));
  // 4000x3000: 3984x3024 is over budget; beta = sqrt(12e6 / 2580480) = 2.1565;
  // floor(3000/2.1565/48) = 28 -> 1344, floor(4000/2.1565/48) = 38 -> 1824.
  EXPECT_EQ(gemma4v_target_size({4000, 3000}, c), (ImageSize{1824, 1344}));
  // 100x100: 96x96 = 9216 px is under budget; beta = sqrt(161280/10000) = 4.016;
  // ceil(401.6/48) = 9 -> 432 per side.
  EXPECT_EQ(gemma4v_target_size({100, 100}, c), (ImageSize{432, 432}));
  std::mt19937 rng(5);
  for (int i = 0; i < 2000; ++i) {
    const ImageSize in{1 + static_cast<int>(rng() % 5000), 1 + static_cast<int>(rng() % 5000)};
    const ImageSize out = gemma4v_target_size(in, c);
    ASSERT_EQ(out.width % 48, 0);
    ASSERT_EQ(out.height % 48, 0);
    const uint32_t tokens = gemma4v_token_count(out, c);
    const double aspect_in = static_cast<double>(in.width) / in.height;
    const double aspect_out = static_cast<double>(out.width) / out.height;
    if (in.width >= 480 && in.height >= 480) {
      EXPECT_GE(tokens, 70u) << in.width << "x" << in.height;
      EXPECT_LE(tokens, 1120u) << in.width << "x" << in.height;
      EXPECT_NEAR(std::log(aspect_out), std::log(aspect_in), 0.25) << in.width << "x" << in.height;
    }
  }
}

TEST(ImageResize, ConstantStaysConstantAndIdentityCopies) {
  RgbImage flat{30, 20, std::vector<uint8_t>(30 * 20 * 3)};
  for (size_t i = 0; i < flat.pixels.size(); ++i) flat.pixels[i] = static_cast<uint8_t>(40 + 70 * (i % 3));
  for (auto [w, h] : {std::pair{7, 5}, {31, 20}, {30, 77}, {100, 3}}) {
    const RgbImage r = resize_bicubic(flat, w, h);
    ASSERT_EQ(r.pixels.size(), static_cast<size_t>(w) * h * 3);
    for (size_t i = 0; i < r.pixels.size(); ++i) ASSERT_EQ(r.pixels[i], 40 + 70 * (i % 3)) << w << "x" << h;
  }
  const RgbImage img = test::synthetic_image(13, 9, 2);
  EXPECT_EQ(resize_bicubic(img, 13, 9).pixels, img.pixels);
}

// Halving a row of 4 pixels: output 0 is centred at 1.0 in input space with the kernel
// widened 2x; the weights are bicubic((x - 0.5)/2) for x = 0..3, normalised.
TEST(ImageResize, WeightsFollowTheWidenedBicubicKernel) {
  RgbImage row{4, 1, {0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255}};
  const RgbImage r = resize_bicubic(row, 2, 1);
  auto k = [](double x) {
    x = std::fabs(x);
    const double a = -0.5;
    return x < 1 ? ((a + 2) * x - (a + 3)) * x * x + 1 : x < 2 ? (((x - 5) * x + 8) * x - 4) * a : 0.0;
  };
  const double w[4] = {k(-0.25), k(0.25), k(0.75), k(1.25)};
  const double sum = w[0] + w[1] + w[2] + w[3];
  const double expect = (0 * w[0] + 100 * w[1] + 200 * w[2] + 255 * w[3]) / sum;
  EXPECT_NEAR(r.pixels[0], expect, 1.0);
}

TEST_F(Gemma4vTest, PreprocessNormalisesPlanarChannels) {
  const Gemma4vConfig c = gemma4v_preset("tiny");
  const RgbImage img = test::synthetic_image(480, 480, 3);  // already a multiple of 48: no resize
  const VisionInput in = gemma4v_preprocess(img, c);
  ASSERT_EQ(in.width, 480);
  ASSERT_EQ(in.height, 480);
  for (int ch = 0; ch < 3; ++ch) {
    const uint8_t p = img.pixel(7, 5)[ch];
    EXPECT_FLOAT_EQ(in.channel(ch)[5 * 480 + 7], (p / 255.0f - c.image_mean[ch]) / c.image_std[ch]);
  }
}

double relative_rms_error(const std::vector<float>& got, const std::vector<std::vector<double>>& want, size_t width) {
  double err = 0.0, norm = 0.0;
  for (size_t t = 0; t < want.size(); ++t) {
    for (size_t i = 0; i < width; ++i) {
      const double d = got[t * width + i] - want[t][i];
      err += d * d;
      norm += want[t][i] * want[t][i];
    }
  }
  return std::sqrt(err / norm);
}

VisionInput random_input(int w, int h, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.8f, 2.0f);
  VisionInput in{w, h, std::vector<float>(static_cast<size_t>(w) * h * 3)};
  for (float& v : in.planar) v = u(rng);
  return in;
}

// The engine's encoder against the double-precision reference written from the spec.
// Differences come only from rounding (f32 sums, the f16 GELU table; f16 weights), so
// they are far below what any wrong index, rotation or norm would cause (~1).
TEST_F(Gemma4vTest, EncoderMatchesTheSpecReference) {
  ThreadPool pool(2);
  for (TensorType t : {TensorType::F32, TensorType::F16}) {
    const GgufFile file = GgufFile::open(path(t));
    const reference::Gemma4vReference ref(file);
    const auto enc = Gemma4vEncoder::open(path(t));
    for (auto [w, h] : {std::pair{96, 48}, {48, 144}, {144, 96}}) {
      const VisionInput in = random_input(w, h, static_cast<uint32_t>(w + h));
      const std::vector<float> got = enc->encode(in, pool);
      const auto want = ref.encode(in.planar, w, h);
      ASSERT_EQ(got.size(), want.size() * 256);
      const double err = relative_rms_error(got, want, 256);
      std::printf("  %s %dx%d: relative rms error %.3g\n", type_name(t), w, h, err);
      EXPECT_LT(err, t == TensorType::F32 ? 5e-4 : 1.5e-3) << type_name(t) << " " << w << "x" << h;
    }
  }
}

TEST_F(Gemma4vTest, EncoderOnAPreprocessedImageMatchesTheReference) {
  ThreadPool pool(2);
  const GgufFile file = GgufFile::open(path(TensorType::F32));
  const reference::Gemma4vReference ref(file);
  const auto enc = Gemma4vEncoder::open(path(TensorType::F32));
  // 200x90 -> 432x192 (9x4 = 36 tokens? no: the budget raises it to at least 70).
  const VisionInput in = gemma4v_preprocess(test::synthetic_image(200, 90, 8), enc->config());
  const uint32_t tokens = gemma4v_token_count({in.width, in.height}, enc->config());
  EXPECT_GE(tokens, 70u);
  const std::vector<float> got = enc->encode(in, pool);
  ASSERT_EQ(got.size(), tokens * 256u);
  EXPECT_LT(relative_rms_error(got, ref.encode(in.planar, in.width, in.height), 256), 5e-4);
}

TEST_F(Gemma4vTest, EncoderRefusesInputsThatAreNotPreprocessed) {
  ThreadPool pool(1);
  const auto enc = Gemma4vEncoder::open(path(TensorType::F32));
  EXPECT_THROW(enc->encode(random_input(50, 48, 1), pool), Error);
  VisionInput bad = random_input(48, 48, 1);
  bad.planar.pop_back();
  EXPECT_THROW(enc->encode(bad, pool), Error);
}

TEST_F(Gemma4vTest, ThreadCountDoesNotChangeTheEmbeddings) {
  const auto enc = Gemma4vEncoder::open(path(TensorType::F32));
  const VisionInput in = random_input(144, 96, 4);
  ThreadPool one(1), two(2);
  EXPECT_EQ(enc->encode(in, one), enc->encode(in, two));
}

}  // namespace
}  // namespace edgelm

namespace edgelm {
namespace {

// 640x480 -> target 624x480: scale min(0.975, 1) = 0.975 fits it to 624x468, centred
// with 6 black rows above and below (llama.cpp's PAD_CEIL).
TEST(ImageResize, FitsInsideTheTargetAndPadsWithBlack) {
  RgbImage img{640, 480, std::vector<uint8_t>(640 * 480 * 3, 200)};
  const uint8_t black[3] = {0, 0, 0};
  const RgbImage out = resize_bicubic_padded(img, 624, 480, black);
  ASSERT_EQ(out.width, 624);
  ASSERT_EQ(out.height, 480);
  for (int y : {0, 5, 474, 479}) EXPECT_EQ(out.pixel(300, y)[0], 0) << y;
  for (int y : {6, 240, 473}) EXPECT_EQ(out.pixel(300, y)[0], 200) << y;
  for (int x : {0, 623}) EXPECT_EQ(out.pixel(x, 240)[1], 200) << x;
  // Same size: a plain copy, no bars.
  EXPECT_EQ(resize_bicubic_padded(img, 640, 480, black).pixels, img.pixels);
}

}  // namespace
}  // namespace edgelm
