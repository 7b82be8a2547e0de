// KV cache policies with the tiny synthetic model: generation far past the context,
// positions that stay absolute through evictions, the `none` limit, and the attention
// statistics the attention policy ranks cells by.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "models/gemma4/gemma4_model.h"
#include "runtime/generator.h"
#include "runtime/thread_pool.h"
#include "synth_support.h"
#include "test_support.h"
#include "util/error.h"

namespace edgelm {
namespace {

class KvGenerationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    model_ = Gemma4Model::open(test::synth_tiny_gemma4(*dir_, 5)).release();
    pool_ = new ThreadPool(2);
  }
  static void TearDownTestSuite() {
    delete pool_;
    delete model_;
    delete dir_;
  }

  static std::vector<int32_t> tokens(size_t n, uint32_t seed, bool bos = true) {
    std::mt19937 rng(seed);
    std::vector<int32_t> v;
    if (bos) v.push_back(1);
    while (v.size() < n) v.push_back(static_cast<int32_t>(3 + rng() % 31990));
    return v;
  }
  static KvCacheOptions policy(KvPolicy p) {
    KvCacheOptions o;
    o.policy.policy = p;
    return o;
  }
  static std::vector<float> eval(KvCache& cache, const std::vector<int32_t>& toks, uint32_t ubatch = 8) {
    std::vector<float> logits(model_->config().n_vocab);
    model_->eval(cache, toks, ubatch, *pool_, logits.data());
    return logits;
  }
  // Full-attention layers that own a cache.
  static std::vector<uint32_t> full_layers(const KvCache& cache) {
    std::vector<uint32_t> out;
    for (uint32_t l = 0; l < cache.n_layers(); ++l) {
      if (cache.spec(l).owns && !cache.spec(l).ring) out.push_back(l);
    }
    return out;
  }

  static test::TempDir* dir_;
  static Gemma4Model* model_;
  static ThreadPool* pool_;
};
test::TempDir* KvGenerationTest::dir_ = nullptr;
Gemma4Model* KvGenerationTest::model_ = nullptr;
ThreadPool* KvGenerationTest::pool_ = nullptr;

// The bar: `run --ctx 256 -n 2000` generates every token with both evicting
// policies; afterwards every full layer holds its sinks, the recent window, and
// positions in increasing order, within the context.
TEST_F(KvGenerationTest, EvictingPoliciesGenerate2000TokensInA256Context) {
  for (KvPolicy p : {KvPolicy::window, KvPolicy::attention}) {
    Generator g(*model_, *pool_, 256, 512, policy(p));
    g.set_prompt(tokens(20, 1));
    SamplingParams sp;
    sp.temperature = 1.0f;
    sp.seed = 7;
    Sampler sampler(sp, model_->config().n_vocab);
    GenerateOptions o;
    o.max_tokens = 2000;
    o.ignore_eog = true;
    const GenerateResult r = g.generate(sampler, o);
    ASSERT_EQ(r.tokens.size(), 2000u) << kv_policy_name(p);
    EXPECT_EQ(r.finish, FinishReason::max_tokens);
    const KvCache& cache = g.cache();
    EXPECT_EQ(cache.n_past(), 20u + 1999u);  // the last token is sampled, not yet evaluated
    EXPECT_GT(cache.evictions(), 0u);
    const KvPolicyPlan& plan = cache.policy();
    for (uint32_t l : full_layers(cache)) {
      const auto pos = cache.cell_positions(l);
      ASSERT_LE(pos.size(), 256u);
      for (uint32_t s = 0; s < plan.sinks; ++s) EXPECT_EQ(pos[s], s) << "sink " << s << " layer " << l;
      for (size_t c = 1; c < pos.size(); ++c) ASSERT_LT(pos[c - 1], pos[c]) << "layer " << l << " cell " << c;
      for (uint32_t k = 0; k < plan.recent; ++k) {
        EXPECT_EQ(pos[pos.size() - 1 - k], cache.n_past() - 1 - k) << "recent " << k << " layer " << l;
      }
    }
    for (float v : g.logits()) ASSERT_TRUE(std::isfinite(v));
    EXPECT_LE(cache.allocated_bytes().full, cache.full_bytes().full);
  }
}

TEST_F(KvGenerationTest, WithoutAPolicyGenerationStopsAtTheContext) {
  Generator g(*model_, *pool_, 64, 16, policy(KvPolicy::none));
  g.set_prompt(tokens(20, 2));
  SamplingParams sp;
  sp.temperature = 0.0f;
  Sampler sampler(sp, model_->config().n_vocab);
  GenerateOptions o;
  o.ignore_eog = true;
  const GenerateResult r = g.generate(sampler, o);
  EXPECT_EQ(r.finish, FinishReason::context_full);
  EXPECT_EQ(r.tokens.size(), 44u);
  EXPECT_THROW(g.set_prompt(tokens(65, 3)), Error);
}

// With a policy, a prompt longer than the context is evaluated in micro-batches that
// fit, evicting as it goes.
TEST_F(KvGenerationTest, APromptLongerThanTheContextIsCompressedOnTheWay) {
  Generator g(*model_, *pool_, 128, 512, policy(KvPolicy::attention));
  g.set_prompt(tokens(300, 4));
  EXPECT_EQ(g.cache().n_past(), 300u);
  EXPECT_EQ(g.stats().prompt_tokens_evaluated, 300u);
  for (uint32_t l : full_layers(g.cache())) EXPECT_LE(g.cache().n_used(l), 128u);
  for (float v : g.logits()) ASSERT_TRUE(std::isfinite(v));
}

// Positions stay absolute through an eviction: evicting tokens M from the full layers
// (and moving past the sliding window so no ring still shows them) leaves exactly the
// state of a sequence that never had M but whose later tokens sit at the same
// positions. Bit for bit: the kept rows, the cells and the positions all agree.
TEST_F(KvGenerationTest, EvictionEqualsNeverHavingSeenTheEvictedTokens) {
  const uint32_t window = model_->config().sliding_window;
  const auto a = tokens(16, 5), m = tokens(24, 6, false), b = tokens(40, 7, false);

  KvCache evicted = model_->new_cache(512, 8);
  eval(evicted, a);
  eval(evicted, m);
  evicted.evict_positions(16, 40);
  evicted.skip_positions(window);
  const std::vector<float> after_eviction = eval(evicted, b);

  KvCache never = model_->new_cache(512, 8);
  eval(never, a);
  never.skip_positions(24 + window);
  const std::vector<float> without_m = eval(never, b);
  EXPECT_EQ(after_eviction, without_m);

  // Positions do matter: the same tokens right after A (positions renumbered) differ.
  KvCache renumbered = model_->new_cache(512, 8);
  eval(renumbered, a);
  EXPECT_NE(eval(renumbered, b), without_m);
}

// The attention policy's statistics: each query adds its heads' probabilities (which sum
// to 1 per head) to the cells it saw, weighted by score_weight, after the older scores
// decayed. So a full layer's scores sum to (heads reading it) x Σ weights.
TEST_F(KvGenerationTest, AttentionScoresCollectEachQuerysProbabilityMass) {
  const Gemma4Config& c = model_->config();
  KvCache cache = model_->new_cache(256, 16);
  cache.configure(policy(KvPolicy::attention));
  const double decay = cache.policy().decay;
  std::vector<double> expected(c.n_layers, 0.0);
  auto heads_reading = [&](uint32_t l) {
    double h = 0;
    for (uint32_t r = 0; r < c.n_layers; ++r) {
      if (c.kv_source_layer(r) == l) h += c.n_head[r];
    }
    return h;
  };
  for (const uint32_t n : {10u, 1u, 5u}) {
    eval(cache, tokens(n, n, false), 16);
    for (uint32_t l : full_layers(cache)) {
      double weights = 0.0;
      for (uint32_t t = 0; t < n; ++t) weights += std::pow(decay, n - 1 - t);
      expected[l] = expected[l] * std::pow(decay, n) + heads_reading(l) * weights;
      double sum = 0.0;
      for (float s : cache.cell_scores(l)) sum += s;
      EXPECT_NEAR(sum, expected[l], 1e-4 * expected[l]) << "layer " << l;
    }
  }
  EXPECT_GT(heads_reading(full_layers(cache).back()), heads_reading(full_layers(cache).front()))
      << "the tiny model shares its last full layer's cache: the test should cover a shared cache";
}

}  // namespace
}  // namespace edgelm
