// The generation loop on the tiny synthetic model: prompt reuse (bitwise the same as
// starting over, including when a sliding-window ring buffer forces starting over),
// and every way generation ends.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <random>

#include "models/model.h"
#include "runtime/generator.h"
#include "runtime/thread_pool.h"
#include "synth_support.h"
#include "test_support.h"
#include "util/error.h"

namespace edgelm {
namespace {

class GeneratorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    model_ = open_model(test::synth_tiny_gemma4(*dir_, 5)).release();
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
  static std::vector<int32_t> concat(std::vector<int32_t> a, const std::vector<int32_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }
  static std::vector<int32_t> head(const std::vector<int32_t>& v, size_t n) { return {v.begin(), v.begin() + n}; }

  // Logits after `prompt` from a new generator: the "from scratch" answer.
  static std::vector<float> fresh_logits(const std::vector<int32_t>& prompt, uint32_t n_ctx = 256) {
    Generator g(*model_, *pool_, n_ctx, 8);
    g.set_prompt(prompt);
    return {g.logits().begin(), g.logits().end()};
  }
  static std::vector<float> logits_of(const Generator& g) { return {g.logits().begin(), g.logits().end()}; }

  static Sampler greedy() {
    SamplingParams p;
    p.temperature = 0.0f;
    return Sampler(p, model_->n_vocab());
  }
  static Sampler seeded(uint64_t seed) {
    SamplingParams p;
    p.temperature = 1.0f;
    p.top_k = 0;
    p.min_p = 0.0f;
    p.seed = seed;
    return Sampler(p, model_->n_vocab());
  }
  static GenerateOptions max(int n) {
    GenerateOptions o;
    o.max_tokens = n;
    return o;
  }

  static test::TempDir* dir_;
  static Model* model_;
  static ThreadPool* pool_;
};
test::TempDir* GeneratorTest::dir_ = nullptr;
Model* GeneratorTest::model_ = nullptr;
ThreadPool* GeneratorTest::pool_ = nullptr;

TEST_F(GeneratorTest, PrefixReuseIsBitwiseIdenticalToAFreshEvaluation) {
  Generator g(*model_, *pool_, 256, 8);
  const auto a = tokens(20, 1), b = tokens(10, 2, false);
  g.set_prompt(a);
  EXPECT_EQ(g.stats().prompt_tokens_reused, 0u);
  EXPECT_EQ(g.stats().prompt_tokens_evaluated, 20u);

  const auto ab = concat(a, b);
  g.set_prompt(ab);
  EXPECT_EQ(g.stats().prompt_tokens_reused, 20u);
  EXPECT_EQ(g.stats().prompt_tokens_evaluated, 10u);
  EXPECT_EQ(logits_of(g), fresh_logits(ab));

  // The same prompt again: only its last token is evaluated, for its logits.
  g.set_prompt(ab);
  EXPECT_EQ(g.stats().prompt_tokens_reused, 29u);
  EXPECT_EQ(g.stats().prompt_tokens_evaluated, 1u);
  EXPECT_EQ(logits_of(g), fresh_logits(ab));

  // A prompt that departs from the cached one part way.
  const auto diverged = concat(head(a, 15), tokens(7, 3, false));
  g.set_prompt(diverged);
  EXPECT_EQ(g.stats().prompt_tokens_reused, 15u);
  EXPECT_EQ(logits_of(g), fresh_logits(diverged));

  // A shorter prompt that is a prefix of the cached one.
  g.set_prompt(head(a, 12));
  EXPECT_EQ(g.stats().prompt_tokens_reused, 11u);
  EXPECT_EQ(logits_of(g), fresh_logits(head(a, 12)));
}

// A chat turn: prompt, reply, then prompt + reply + the next turn. Everything but the
// reply's last token (sampled, never evaluated) is reused, and the next reply is the
// one a fresh generator gives.
TEST_F(GeneratorTest, NextTurnReusesPromptAndReply) {
  Generator g(*model_, *pool_, 256, 8);
  const auto turn1 = tokens(25, 4);
  g.set_prompt(turn1);
  Sampler s1 = seeded(9);
  const GenerateResult r1 = g.generate(s1, max(12));
  ASSERT_EQ(r1.tokens.size(), 12u);
  EXPECT_EQ(g.tokens().size(), 37u);

  const auto turn2 = concat(concat(turn1, r1.tokens), tokens(6, 5, false));
  g.set_prompt(turn2);
  EXPECT_EQ(g.stats().prompt_tokens_reused, 36u);
  EXPECT_EQ(g.stats().prompt_tokens_evaluated, 7u);
  EXPECT_EQ(logits_of(g), fresh_logits(turn2));
  Sampler s2 = seeded(10);
  const GenerateResult r2 = g.generate(s2, max(12));

  Generator fresh(*model_, *pool_, 256, 8);
  fresh.set_prompt(turn2);
  Sampler s3 = seeded(10);
  EXPECT_EQ(fresh.generate(s3, max(12)).tokens, r2.tokens);
}

// Micro-batches of 8 and a window of 32: sliding layers keep a ring of 256 cells
// (window + micro-batch rounded up to 256, as llama.cpp sizes it). After 300
// positions it holds 44..299, and continuing at position n needs n-31..n-1:
// n = 75 can reuse the cache, n = 74 has to start over. Both give the fresh answer.
TEST_F(GeneratorTest, ReuseAcrossTheSlidingWindowFallsBackWhenTheRingHasMovedOn) {
  ASSERT_EQ(gemma4_preset("tiny").config.sliding_window, 32u);
  const auto base = tokens(300, 6);
  for (const uint32_t keep : {290u, 75u, 74u}) {
    Generator g(*model_, *pool_, 1024, 8);
    g.set_prompt(base);
    const auto prompt = concat(head(base, keep), tokens(5, 7 + keep, false));
    g.set_prompt(prompt);
    EXPECT_EQ(g.stats().prompt_tokens_reused, keep >= 75 ? keep : 0u) << keep;
    Generator fresh(*model_, *pool_, 1024, 8);
    fresh.set_prompt(prompt);
    EXPECT_EQ(logits_of(g), logits_of(fresh)) << keep;
    // And generation from there matches too.
    Sampler sa = seeded(keep), sb = seeded(keep);
    EXPECT_EQ(g.generate(sa, max(8)).tokens, fresh.generate(sb, max(8)).tokens) << keep;
  }
}

TEST_F(GeneratorTest, MaxTokensAndContinuation) {
  const auto prompt = tokens(10, 8);
  Generator g(*model_, *pool_, 128, 8);
  g.set_prompt(prompt);
  Sampler s = greedy();
  const GenerateResult all = g.generate(s, max(10));
  EXPECT_EQ(all.finish, FinishReason::max_tokens);
  ASSERT_EQ(all.tokens.size(), 10u);
  EXPECT_EQ(g.stats().generated_tokens, 10u);
  EXPECT_EQ(g.stats().decoded_tokens, 9u);  // the last token waits
  EXPECT_EQ(std::vector<int32_t>(g.tokens().begin(), g.tokens().end()), concat(prompt, all.tokens));

  // 4 then 6 more: the same tokens as 10 at once.
  g.set_prompt(prompt);
  const GenerateResult part1 = g.generate(s, max(4));
  const GenerateResult part2 = g.generate(s, max(6));
  EXPECT_EQ(concat(part1.tokens, part2.tokens), all.tokens);
  EXPECT_TRUE(g.generate(s, max(0)).tokens.empty());
}

TEST_F(GeneratorTest, EndOfGenerationToken) {
  const auto prompt = tokens(10, 9);
  Generator g(*model_, *pool_, 128, 8);
  g.set_prompt(prompt);
  Sampler s = greedy();
  const auto reference = g.generate(s, max(10)).tokens;
  // Declare the 4th token (first seen at index k) the end-of-generation token.
  const int32_t eog = reference[3];
  const size_t k = static_cast<size_t>(std::find(reference.begin(), reference.end(), eog) - reference.begin());

  GenerateOptions o = max(10);
  o.is_eog = [eog](int32_t t) { return t == eog; };
  std::vector<int32_t> seen;
  auto collect = [&](int32_t t) {
    seen.push_back(t);
    return true;
  };
  g.set_prompt(prompt);
  const GenerateResult r = g.generate(s, o, collect);
  EXPECT_EQ(r.finish, FinishReason::eog);
  EXPECT_EQ(r.tokens, head(reference, k + 1));  // the eog token is part of the result...
  EXPECT_EQ(seen, head(reference, k));          // ...but not passed to the callback

  o.ignore_eog = true;
  seen.clear();
  g.set_prompt(prompt);
  const GenerateResult ignored = g.generate(s, o, collect);
  EXPECT_EQ(ignored.finish, FinishReason::max_tokens);
  EXPECT_EQ(ignored.tokens, reference);
  EXPECT_EQ(seen, reference);
}

TEST_F(GeneratorTest, CancelAndCallbackStop) {
  const auto prompt = tokens(10, 10);
  Generator g(*model_, *pool_, 128, 8);
  Sampler s = greedy();
  std::atomic<bool> cancel{false};
  GenerateOptions o = max(20);
  o.cancel = &cancel;
  int calls = 0;
  g.set_prompt(prompt);
  const GenerateResult c = g.generate(s, o, [&](int32_t) {
    if (++calls == 3) cancel = true;  // as another thread would
    return true;
  });
  EXPECT_EQ(c.finish, FinishReason::cancelled);
  EXPECT_EQ(c.tokens.size(), 3u);
  // Already cancelled: nothing is generated.
  g.set_prompt(prompt);
  EXPECT_EQ(g.generate(s, o).tokens.size(), 0u);

  cancel = false;
  calls = 0;
  g.set_prompt(prompt);
  const GenerateResult stopped = g.generate(s, o, [&](int32_t) { return ++calls < 2; });
  EXPECT_EQ(stopped.finish, FinishReason::stopped_by_callback);
  EXPECT_EQ(stopped.tokens.size(), 2u);
}

TEST_F(GeneratorTest, ContextFull) {
  Generator g(*model_, *pool_, 32, 8);
  g.set_prompt(tokens(28, 11));
  Sampler s = greedy();
  const GenerateResult r = g.generate(s, GenerateOptions{});  // max_tokens -1: until full
  EXPECT_EQ(r.finish, FinishReason::context_full);
  EXPECT_EQ(r.tokens.size(), 4u);
  EXPECT_EQ(g.tokens().size(), 32u);
  EXPECT_EQ(g.generate(s, GenerateOptions{}).tokens.size(), 0u);
  // The full sequence still fits when fed back as a prompt; one more token does not.
  g.set_prompt(g.tokens());  // a view of its own sequence is fine
  EXPECT_EQ(g.stats().prompt_tokens_evaluated, 1u);
  try {
    g.set_prompt(tokens(33, 12));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "the prompt has 33 tokens but the context holds 32 (use a larger context)");
  }
}

TEST_F(GeneratorTest, RejectsMisuse) {
  EXPECT_THROW(Generator(*model_, *pool_, 0, 8), Error);
  EXPECT_THROW(Generator(*model_, *pool_, 64, 0), Error);
  EXPECT_THROW(Generator(*model_, *pool_, model_->context_length() + 1, 8), Error);
  Generator g(*model_, *pool_, 64, 8);
  Sampler s = greedy();
  EXPECT_THROW(g.generate(s, GenerateOptions{}), Error);  // no prompt yet
  EXPECT_THROW(g.set_prompt(std::vector<int32_t>{}), Error);
  EXPECT_THROW(g.set_prompt(std::vector<int32_t>{1, 99999}), Error);  // out of the vocabulary
  g.set_prompt(tokens(5, 13));                                        // still usable
  EXPECT_THROW(g.generate(s, max(-2)), Error);
  EXPECT_EQ(g.generate(s, max(2)).tokens.size(), 2u);
}

// Continuous batching: sequences evaluated together in one forward pass (prompt chunks
// of different lengths, then one decode token each) get exactly the logits each gets
// alone — with Q8_0 weights every matrix row is an integer dot product whose result
// does not depend on the other rows of the batch.
TEST_F(GeneratorTest, SequencesEvaluatedTogetherEqualEachAlone) {
  const std::vector<std::vector<int32_t>> prompts = {tokens(5, 21), tokens(17, 22), tokens(9, 23), tokens(1, 24)};
  std::vector<std::unique_ptr<Generator>> together;
  std::vector<Generator*> gens;
  for (const auto& p : prompts) {
    together.push_back(std::make_unique<Generator>(*model_, *pool_, 256, 8));
    together.back()->begin_prompt(p);
    gens.push_back(together.back().get());
  }
  // Chunks of at most 6 (capped by the micro-batch of 8), until every prompt is in.
  const std::vector<size_t> chunk(gens.size(), 6);
  int steps = 0;
  while (std::any_of(gens.begin(), gens.end(), [](Generator* g) { return g->n_pending() > 0; })) {
    const std::vector<std::string> errors = Generator::evaluate_pending_together(gens, chunk);
    for (const std::string& e : errors) EXPECT_EQ(e, "");
    ASSERT_LT(++steps, 10);
  }
  EXPECT_EQ(steps, 3);  // ceil(17 / 6)
  for (size_t i = 0; i < gens.size(); ++i) EXPECT_EQ(logits_of(*gens[i]), fresh_logits(prompts[i])) << "prompt " << i;

  // Decode: each appends its greedy token and all evaluate it together, against one
  // generator per sequence decoding alone.
  std::vector<std::unique_ptr<Generator>> alone;
  for (const auto& p : prompts) {
    alone.push_back(std::make_unique<Generator>(*model_, *pool_, 256, 8));
    alone.back()->set_prompt(p);
  }
  for (int step = 0; step < 4; ++step) {
    for (size_t i = 0; i < gens.size(); ++i) {
      Sampler s = greedy();
      const int32_t id = s.sample(gens[i]->logits());
      gens[i]->append(id);
      alone[i]->append(id);
      alone[i]->evaluate_pending(1);
    }
    const std::vector<std::string> errors = Generator::evaluate_pending_together(gens, std::vector<size_t>(gens.size(), 1));
    for (size_t i = 0; i < gens.size(); ++i) {
      EXPECT_EQ(errors[i], "");
      EXPECT_EQ(logits_of(*gens[i]), logits_of(*alone[i])) << "sequence " << i << ", step " << step;
    }
  }
}

// A sequence that cannot be evaluated (a token outside the vocabulary) is ended with
// its error and forgets its cache; the others in the same step are evaluated as usual.
TEST_F(GeneratorTest, ABadSequenceInATogetherStepFailsAlone) {
  Generator good(*model_, *pool_, 256, 8), bad(*model_, *pool_, 256, 8), idle(*model_, *pool_, 256, 8);
  const auto prompt = tokens(6, 31);
  good.begin_prompt(prompt);
  bad.set_prompt(tokens(4, 32));
  bad.append(999999);
  idle.set_prompt(tokens(3, 33));
  std::vector<Generator*> gens = {&bad, &good, &idle};
  const std::vector<std::string> errors = Generator::evaluate_pending_together(gens, std::vector<size_t>{8, 8, 8});
  EXPECT_NE(errors[0].find("out of range"), std::string::npos) << errors[0];
  EXPECT_EQ(errors[1], "");
  EXPECT_EQ(errors[2], "");  // nothing pending: untouched
  EXPECT_EQ(bad.tokens().size(), 0u);
  EXPECT_EQ(bad.cache().n_past(), 0u);
  EXPECT_EQ(logits_of(good), fresh_logits(prompt));
  EXPECT_EQ(idle.cache().n_past(), 3u);
}

TEST_F(GeneratorTest, EvalBatchRefusesTheSameSequenceTwiceAndLeavesCachesAlone) {
  KvCache cache = model_->new_cache(64, 8);
  std::vector<float> logits(model_->n_vocab());
  const std::vector<int32_t> ids = tokens(3, 41);
  const Model::SequenceStep step{&cache, ids, logits.data()};
  const std::vector<Model::SequenceStep> twice = {step, step};
  EXPECT_THROW(model_->eval_batch(twice, *pool_), Error);
  EXPECT_EQ(cache.n_past(), 0u);
  const std::vector<int32_t> too_many = tokens(9, 42);  // more than a micro-batch of 8
  KvCache other = model_->new_cache(64, 8);
  const std::vector<Model::SequenceStep> mixed = {step, {&other, too_many, nullptr}};
  EXPECT_THROW(model_->eval_batch(mixed, *pool_), Error);
  EXPECT_EQ(cache.n_past(), 0u);
  EXPECT_EQ(other.n_past(), 0u);
}

TEST(FinishReason, Names) {
  EXPECT_EQ(finish_reason_name(FinishReason::eog), "eog");
  EXPECT_EQ(finish_reason_name(FinishReason::max_tokens), "max_tokens");
  EXPECT_EQ(finish_reason_name(FinishReason::context_full), "context_full");
  EXPECT_EQ(finish_reason_name(FinishReason::cancelled), "cancelled");
  EXPECT_EQ(finish_reason_name(FinishReason::stopped_by_callback), "stopped_by_callback");
}

}  // namespace
}  // namespace edgelm
