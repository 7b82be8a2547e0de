// Images in the text model: embedding rows instead of token ids (no sqrt(d) scale,
// padding token's per-layer part), bidirectional sliding layers inside an image,
// prompts with images in the generator (cache reuse keyed by the image), the
// tokenization around images, the image cache and SHA-256.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "models/gemma4/gemma4_model.h"
#include "quant/dequantize.h"
#include "runtime/generator.h"
#include "runtime/thread_pool.h"
#include "synth/synth_gemma4v.h"
#include "synth_support.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"
#include "tools/test_images.h"
#include "util/error.h"
#include "util/sha256.h"
#include "vision/image_embedder.h"
#include "vision/image_prompt.h"

namespace edgelm {
namespace {

TEST(Sha256, MatchesTheFipsVectors) {
  auto hex = [](std::string_view s) { return sha256_hex({reinterpret_cast<const uint8_t*>(s.data()), s.size()}); };
  EXPECT_EQ(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Lengths around the padding boundary (55, 56, 64 bytes) all differ and are stable.
  EXPECT_NE(hex(std::string(55, 'x')), hex(std::string(56, 'x')));
  EXPECT_EQ(hex(std::string(64, 'x')), hex(std::string(64, 'x')));
}

class VisionPromptTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    model_ = Gemma4Model::open(test::synth_tiny_gemma4(*dir_, 7)).release();
    MmprojSynthOptions m;
    m.preset = "tiny";
    m.out_path = dir_->file("mmproj.gguf");
    m.threads = 2;
    synth_gemma4v(m);
    encoder_ = Gemma4vEncoder::open(m.out_path).release();
    pool_ = new ThreadPool(2);
  }
  static void TearDownTestSuite() {
    delete pool_;
    delete encoder_;
    delete model_;
    delete dir_;
  }

  static std::vector<int32_t> tokens(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> v = {1};
    while (v.size() < n) v.push_back(static_cast<int32_t>(3 + rng() % 31990));
    return v;
  }
  // An "image" of n random rows (what an encoder would give).
  static std::shared_ptr<const ImageEmbedding> fake_image(uint32_t n, uint32_t seed) {
    auto e = std::make_shared<ImageEmbedding>();
    e->key = "fake-" + std::to_string(seed);
    e->n_tokens = n;
    e->width = model_->config().d_model;
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    e->rows.resize(static_cast<size_t>(n) * e->width);
    for (float& v : e->rows) v = g(rng);
    return e;
  }
  // tokens a, then the image, then tokens b.
  static TokenizedPrompt with_image(const std::vector<int32_t>& a, std::shared_ptr<const ImageEmbedding> img,
                                    const std::vector<int32_t>& b) {
    TokenizedPrompt p;
    p.tokens = a;
    p.images.push_back({a.size(), img});
    p.tokens.insert(p.tokens.end(), img->n_tokens, kImageTokenId);
    p.tokens.insert(p.tokens.end(), b.begin(), b.end());
    return p;
  }
  static std::vector<float> logits(const Generator& g) { return {g.logits().begin(), g.logits().end()}; }

  static test::TempDir* dir_;
  static Gemma4Model* model_;
  static Gemma4vEncoder* encoder_;
  static ThreadPool* pool_;
};
test::TempDir* VisionPromptTest::dir_ = nullptr;
Gemma4Model* VisionPromptTest::model_ = nullptr;
Gemma4vEncoder* VisionPromptTest::encoder_ = nullptr;
ThreadPool* VisionPromptTest::pool_ = nullptr;

// Token 0 is the padding token: a row equal to its scaled embedding, given as an
// embedding, must give exactly the logits of the token itself (same x, same per-layer
// input). Any scale applied to embedding rows, or another per-layer row, breaks this.
TEST_F(VisionPromptTest, EmbeddingRowOfThePaddingTokenEqualsTheToken) {
  const Gemma4Config& c = model_->config();
  std::vector<float> row(c.d_model);
  const WeightMatrix& te = model_->weights().token_embd;
  dequantize_row(te.type, te.data, row.data(), c.d_model);
  const float scale = std::sqrt(static_cast<float>(c.d_model));
  for (float& v : row) v *= scale;
  const std::vector<int32_t> prefix = tokens(5, 1);

  std::vector<float> a(c.n_vocab), b(c.n_vocab);
  KvCache ca = model_->new_cache(64, 8), cb = model_->new_cache(64, 8);
  model_->eval(ca, prefix, 8, *pool_, a.data());
  model_->eval(ca, std::vector<int32_t>{0}, 8, *pool_, a.data());
  model_->eval(cb, prefix, 8, *pool_, b.data());
  model_->eval_embeddings(cb, row, 8, *pool_, b.data(), false);
  EXPECT_EQ(a, b);
  // Unscaled, the row is something else.
  for (float& v : row) v /= scale;
  KvCache cc = model_->new_cache(64, 8);
  model_->eval(cc, prefix, 8, *pool_, b.data());
  model_->eval_embeddings(cc, row, 8, *pool_, b.data(), false);
  EXPECT_NE(a, b);
}

// Bidirectional sliding layers: the first rows of an image see the later ones, so the
// logits after the image differ from causal decoding; causal image rows split over
// micro-batches give the same logits as in one; a bidirectional image must fit one.
TEST_F(VisionPromptTest, BidirectionalSlidingLayersSeeTheWholeImage) {
  const Gemma4Config& c = model_->config();
  EXPECT_TRUE(model_->images_bidirectional());  // tiny: neither E2B nor E4B width
  const auto img = fake_image(12, 3);
  const std::vector<int32_t> prefix = tokens(4, 2);
  auto run = [&](bool bidir, uint32_t ubatch) {
    std::vector<float> out(c.n_vocab);
    KvCache cache = model_->new_cache(64, 16);
    model_->eval(cache, prefix, ubatch, *pool_, out.data());
    model_->eval_embeddings(cache, img->rows, ubatch, *pool_, out.data(), bidir);
    model_->eval(cache, std::vector<int32_t>{7, 8}, ubatch, *pool_, out.data());
    return out;
  };
  const auto causal16 = run(false, 16), causal5 = run(false, 5), bidir16 = run(true, 16);
  EXPECT_EQ(causal16, causal5);
  EXPECT_NE(causal16, bidir16);
  EXPECT_THROW(run(true, 5), Error);
}

TEST_F(VisionPromptTest, GeneratorReusesTheCacheOnlyForTheSameImage) {
  const auto img_a = fake_image(9, 10), img_b = fake_image(9, 11);
  const std::vector<int32_t> before = tokens(6, 3), after = {50, 60, 70};
  const TokenizedPrompt pa = with_image(before, img_a, after);

  Generator fresh_a(*model_, *pool_, 128, 16);
  fresh_a.set_prompt(pa.tokens, pa.images);
  EXPECT_EQ(fresh_a.stats().prompt_tokens_reused, 0u);

  // Same prompt + more text: everything up to the new text is reused, bitwise the same.
  TokenizedPrompt longer = pa;
  longer.tokens.insert(longer.tokens.end(), {80, 90});
  fresh_a.set_prompt(longer.tokens, longer.images);
  EXPECT_EQ(fresh_a.stats().prompt_tokens_reused, pa.tokens.size());
  Generator fresh_longer(*model_, *pool_, 128, 16);
  fresh_longer.set_prompt(longer.tokens, longer.images);
  EXPECT_EQ(logits(fresh_a), logits(fresh_longer));

  // Another image at the same place: the placeholders are equal but the cache is not.
  const TokenizedPrompt pb = with_image(before, img_b, after);
  fresh_a.set_prompt(pb.tokens, pb.images);
  EXPECT_EQ(fresh_a.stats().prompt_tokens_reused, before.size());
  Generator fresh_b(*model_, *pool_, 128, 16);
  fresh_b.set_prompt(pb.tokens, pb.images);
  EXPECT_EQ(logits(fresh_a), logits(fresh_b));
  EXPECT_NE(logits(fresh_a), logits(fresh_longer));

  // Greedy generation continues from there like any prompt.
  SamplingParams sp;
  sp.temperature = 0.0f;
  Sampler s(sp, model_->config().n_vocab);
  GenerateOptions go;
  go.max_tokens = 4;
  EXPECT_EQ(fresh_b.generate(s, go).tokens.size(), 4u);
}

// The server's batched steps (Generator::evaluate_pending_together) with an image
// among the prompts: the image is evaluated in a step of its own, the text around it
// and the other sequences' text in shared forward passes, and every sequence ends with
// the logits it gets alone.
TEST_F(VisionPromptTest, ImagePromptsInBatchedStepsEqualEachAlone) {
  const TokenizedPrompt with_img = with_image(tokens(5, 21), fake_image(9, 22), {40, 41, 42});
  const std::vector<int32_t> text_a = tokens(13, 23), text_b = tokens(4, 24);
  Generator gi(*model_, *pool_, 128, 16), ga(*model_, *pool_, 128, 16), gb(*model_, *pool_, 128, 16);
  gi.begin_prompt(with_img.tokens, with_img.images);
  ga.begin_prompt(text_a);
  gb.begin_prompt(text_b);
  std::vector<Generator*> gens = {&gi, &ga, &gb};
  const std::vector<size_t> chunk(3, 4);
  int steps = 0;
  bool image_step = false;
  while (gi.n_pending() > 0 || ga.n_pending() > 0 || gb.n_pending() > 0) {
    const size_t image_pending_before = gi.n_pending();
    for (const std::string& e : Generator::evaluate_pending_together(gens, chunk)) EXPECT_EQ(e, "");
    // 5 text tokens in chunks, then the whole 9-row image in one step, then 3 text tokens.
    const size_t done = image_pending_before - gi.n_pending();
    EXPECT_TRUE(done <= 4 || done == 9) << done;
    image_step = image_step || done == 9;
    ASSERT_LT(++steps, 20);
  }
  EXPECT_TRUE(image_step);
  Generator alone_i(*model_, *pool_, 128, 16), alone_a(*model_, *pool_, 128, 16), alone_b(*model_, *pool_, 128, 16);
  alone_i.set_prompt(with_img.tokens, with_img.images);
  alone_a.set_prompt(text_a);
  alone_b.set_prompt(text_b);
  EXPECT_EQ(logits(gi), logits(alone_i));
  EXPECT_EQ(logits(ga), logits(alone_a));
  EXPECT_EQ(logits(gb), logits(alone_b));
}

TEST_F(VisionPromptTest, GeneratorRejectsInconsistentImagePrompts) {
  Generator g(*model_, *pool_, 128, 16);
  const auto img = fake_image(4, 1);
  TokenizedPrompt p = with_image(tokens(3, 1), img, {5});
  TokenizedPrompt missing = p;
  missing.images.clear();
  EXPECT_THROW(g.set_prompt(missing.tokens, missing.images), Error);  // placeholders without an image
  TokenizedPrompt shifted = p;
  shifted.images[0].position = 0;
  EXPECT_THROW(g.set_prompt(shifted.tokens, shifted.images), Error);  // image over real tokens
  auto narrow = std::make_shared<ImageEmbedding>(*img);
  narrow->width = 8;
  narrow->rows.resize(4 * 8);
  TokenizedPrompt wrong_width = p;
  wrong_width.images[0].embedding = narrow;
  EXPECT_THROW(g.set_prompt(wrong_width.tokens, wrong_width.images), Error);
  EXPECT_NO_THROW(g.set_prompt(p.tokens, p.images));
}

TEST(ImagePrompt, ImagesAreWrappedInTheirMarkerTokens) {
  const GgufFile vocab = GgufFile::open((test::shared_testdata() / "vocab" / "ggml-vocab-gemma-4.gguf").string());
  const Tokenizer tok = Tokenizer::from_gguf(vocab);
  const int32_t begin = *tok.find_token("<|image>"), end = *tok.find_token("<image|>");
  auto img = std::make_shared<ImageEmbedding>();
  img->n_tokens = 3;
  img->width = 1;
  img->rows = {1, 2, 3};
  const std::vector<std::shared_ptr<const ImageEmbedding>> images = {img, img};
  const std::string text = std::string("<bos>A") + std::string(kImageMarker) + "B" + std::string(kImageMarker) + "C";
  const TokenizedPrompt p = tokenize_with_images(text, images, tok, "<bos>");
  // <bos> A <|image> x x x <image|> B <|image> x x x <image|> C, each piece tokenized alone.
  std::vector<int32_t> want = tok.encode("<bos>A", false, true);
  want.push_back(begin);
  want.insert(want.end(), 3, kImageTokenId);
  want.push_back(end);
  for (int32_t t : tok.encode("B", false, true)) want.push_back(t);
  want.push_back(begin);
  want.insert(want.end(), 3, kImageTokenId);
  want.push_back(end);
  for (int32_t t : tok.encode("C", false, true)) want.push_back(t);
  EXPECT_EQ(p.tokens, want);
  ASSERT_EQ(p.images.size(), 2u);
  EXPECT_EQ(p.tokens[p.images[0].position - 1], begin);
  EXPECT_EQ(p.tokens[p.images[1].end()], end);
  EXPECT_THROW(tokenize_with_images(text, std::vector<std::shared_ptr<const ImageEmbedding>>{img}, tok, "<bos>"),
               Error);
  // Without images the text tokenizes as any prompt (BOS added when not written).
  EXPECT_EQ(tokenize_with_images("hello", {}, tok, "<bos>").tokens, tok.encode("hello", true, true));
  // A vocabulary without the image tokens cannot take images.
  const GgufFile llama = GgufFile::open((test::shared_testdata() / "vocab" / "ggml-vocab-llama-spm.gguf").string());
  const Tokenizer other = Tokenizer::from_gguf(llama);
  const std::vector<std::shared_ptr<const ImageEmbedding>> one = {img};
  EXPECT_THROW(tokenize_with_images(std::string(kImageMarker), one, other, ""), Error);
}

TEST_F(VisionPromptTest, EmbedderCachesByContent) {
  ImageEmbedder embedder(*encoder_, *pool_, 2);
  const auto png = test::encode_png(test::synthetic_image(100, 80, 1));
  const auto other = test::encode_png(test::synthetic_image(100, 80, 2));
  const auto a = embedder.embed(png, "a.png");
  EXPECT_EQ(embedder.stats().encoded, 1u);
  const auto again = embedder.embed(png, "same bytes, other name");
  EXPECT_EQ(again, a);  // the cached object itself
  EXPECT_EQ(embedder.stats().hits, 1u);
  const auto b = embedder.embed(other, "b.png");
  EXPECT_NE(b->key, a->key);
  EXPECT_NE(b->rows, a->rows);
  EXPECT_EQ(a->n_tokens * a->width, a->rows.size());
  EXPECT_EQ(a->width, 256u);
  // Capacity 2: a third image evicts the least recently used (a).
  embedder.embed(test::encode_png(test::synthetic_image(60, 60, 3)), "c.png");
  embedder.embed(png, "a.png");
  EXPECT_EQ(embedder.stats().encoded, 4u);
  EXPECT_THROW(embedder.embed(std::vector<uint8_t>{1, 2, 3}, "junk.bin"), Error);
}

}  // namespace
}  // namespace edgelm
