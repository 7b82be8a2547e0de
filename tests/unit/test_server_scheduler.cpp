// The scheduler on a real (tiny, synthetic) model: a request served through a slot
// generates exactly what a lone Generator generates; requests served together, in
// any number of slots and with a queue, each generate what they generate alone (the
// slots' KV caches are their own); cancellation, stop strings, end-of-generation,
// max_tokens and the reuse of a conversation's cached prefix.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime/generator.h"
#include "runtime/thread_pool.h"
#include "sample/sampler.h"
#include "server/reply_text.h"
#include "server/scheduler.h"
#include "server_support.h"

namespace edgelm::server {
namespace {

using namespace std::chrono_literals;

struct Collected {
  std::string thought, answer;
  Outcome outcome;
};

Collected collect(ResultChannel& channel) {
  Collected c;
  for (int i = 0; i < 600; ++i) {
    ResultChannel::Update u = channel.take(1000ms);
    c.thought += u.thought;
    c.answer += u.answer;
    if (u.outcome) {
      c.outcome = *u.outcome;
      return c;
    }
  }
  ADD_FAILURE() << "no outcome within 10 minutes";
  return c;
}

// The scheduler counts a request as ended once its slot is reaped, a moment after the
// client has the outcome: waits (boundedly) for the count to arrive.
void expect_completed(const Scheduler& scheduler, uint64_t n) {
  for (int i = 0; i < 2000 && scheduler.stats().completed < n; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(scheduler.stats().completed, n);
  EXPECT_EQ(scheduler.stats().busy, 0u);
  EXPECT_EQ(scheduler.stats().queued, 0u);
}

class ServerScheduler : public ::testing::Test {
 protected:
  static test::TinyGemma& tiny() { return test::TinyGemma::get(); }
  static const Tokenizer& tok() { return *tiny().tokenizer; }

  static std::vector<int32_t> prompt(const std::string& text) { return tok().encode(text, true, true); }

  static Job job(std::vector<int32_t> ids, int32_t max_tokens, float temperature = 0.0f, uint64_t seed = 1) {
    Job j;
    j.prompt = std::move(ids);
    j.sampling.temperature = temperature;
    j.sampling.seed = seed;
    j.max_tokens = max_tokens;
    j.channel = std::make_shared<ResultChannel>();
    return j;
  }

  // What the same request gives on a lone Generator (the path of `edgelm run`).
  static Collected alone(const Job& j) {
    ThreadPool pool(2);
    Generator generator(*tiny().model, pool, 512, 512);
    Sampler sampler(j.sampling, static_cast<uint32_t>(tok().n_vocab()));
    for (int32_t t : j.prompt) sampler.accept(t);
    generator.set_prompt(j.prompt);
    ReplyText text(tok(), j.stops, j.split_thoughts);
    Collected c;
    GenerateOptions options;
    options.max_tokens = j.max_tokens;
    options.is_eog = [](int32_t t) { return tok().is_eog(t); };
    bool stopped = false;
    const GenerateResult result = generator.generate(sampler, options, [&](int32_t t) {
      const ReplyStream::Chunk chunk = text.push(t);
      c.thought += chunk.thought;
      c.answer += chunk.answer;
      stopped = chunk.stopped;
      return !stopped;
    });
    const ReplyStream::Chunk rest = text.flush();
    c.thought += rest.thought;
    c.answer += rest.answer;
    c.outcome.finish = stopped || result.finish == FinishReason::eog ? Finish::stop : Finish::length;
    c.outcome.usage.prompt_tokens = static_cast<uint32_t>(j.prompt.size());
    c.outcome.usage.completion_tokens = static_cast<uint32_t>(result.tokens.size());
    return c;
  }

  static SchedulerOptions options(uint32_t slots, uint32_t ubatch = 512) {
    SchedulerOptions o;
    o.n_slots = slots;
    o.n_ctx = 512;
    o.n_ubatch = ubatch;
    o.n_batch = ubatch;
    o.threads = 2;
    return o;
  }

  static void expect_same(const Collected& got, const Collected& want, const std::string& what) {
    EXPECT_EQ(got.answer, want.answer) << what;
    EXPECT_EQ(got.thought, want.thought) << what;
    EXPECT_EQ(got.outcome.finish, want.outcome.finish) << what;
    EXPECT_EQ(got.outcome.usage.prompt_tokens, want.outcome.usage.prompt_tokens) << what;
    EXPECT_EQ(got.outcome.usage.completion_tokens, want.outcome.usage.completion_tokens) << what;
  }
};

TEST_F(ServerScheduler, ARequestGeneratesWhatALoneGeneratorDoes) {
  Scheduler scheduler(*tiny().model, tok(), options(1));
  Job j = job(prompt("<|turn>user\nTell me a story.<turn|>\n<|turn>model\n"), 24);
  const Collected want = alone(j);
  ASSERT_FALSE(want.answer.empty());
  auto channel = j.channel;
  scheduler.submit(j);
  expect_same(collect(*channel), want, "greedy");
  expect_completed(scheduler, 1);
}

TEST_F(ServerScheduler, RequestsServedTogetherEachGenerateWhatTheyGenerateAlone) {
  // Seven requests, greedy and seeded sampling, for three slots: four wait in the
  // queue, and requests join and leave the running batch at different steps.
  std::vector<Job> jobs;
  const std::vector<std::string> texts = {"The cat", "Once upon a time", "1 2 3 4", "Bonjour, comment",
                                          "def main():", "A very long prompt about the weather in spring, and more",
                                          "Z"};
  for (size_t i = 0; i < texts.size(); ++i) {
    const float temperature = i % 2 == 0 ? 0.0f : 0.9f;
    jobs.push_back(job(prompt(texts[i]), 6 + static_cast<int32_t>(i) * 3, temperature, 100 + i));
    jobs.back().split_thoughts = i % 3 != 0;
  }
  std::vector<Collected> want;
  for (const Job& j : jobs) want.push_back(alone(j));
  // Small micro-batches make the longer prompts take several steps (chunked prefill
  // interleaved with the others' decoding).
  Scheduler scheduler(*tiny().model, tok(), options(3, /*ubatch=*/4));
  for (Job& j : jobs) scheduler.submit(j);
  for (size_t i = 0; i < jobs.size(); ++i) expect_same(collect(*jobs[i].channel), want[i], texts[i]);
  expect_completed(scheduler, jobs.size());
}

TEST_F(ServerScheduler, CancellingStopsTheRequestAndTheSchedulerGoesOn) {
  Scheduler scheduler(*tiny().model, tok(), options(1));
  Job endless = job(prompt("Count forever:"), -1);
  endless.sampling.logit_bias = {};
  for (int32_t t : tok().eog_tokens()) endless.sampling.logit_bias[t] = -INFINITY;  // it never ends by itself
  auto channel = endless.channel;
  Job queued = job(prompt("Never run"), 5);  // waits behind it, and is cancelled there
  auto queued_channel = queued.channel;
  scheduler.submit(endless);
  scheduler.submit(queued);
  // Wait for the first text, then go away.
  std::string seen;
  while (seen.empty()) {
    ResultChannel::Update u = channel->take(1000ms);
    ASSERT_FALSE(u.outcome) << "ended before it was cancelled";
    seen += u.answer + u.thought;
  }
  queued_channel->cancel();
  channel->cancel();
  const Collected rest = collect(*channel);
  EXPECT_EQ(rest.outcome.finish, Finish::cancelled);
  EXPECT_LT(rest.outcome.usage.completion_tokens, 512u - endless.prompt.size());
  const Collected dropped = collect(*queued_channel);
  EXPECT_EQ(dropped.outcome.finish, Finish::cancelled);
  EXPECT_EQ(dropped.outcome.usage.completion_tokens, 0u);
  // The slot is free again and serves the next request as if nothing happened.
  Job next = job(prompt("Count forever:"), 8);
  const Collected want = alone(next);
  auto next_channel = next.channel;
  scheduler.submit(next);
  expect_same(collect(*next_channel), want, "after a cancel");
  expect_completed(scheduler, 3);
  EXPECT_EQ(scheduler.stats().cancelled, 2u);
}

TEST_F(ServerScheduler, StopStringsEndOfGenerationAndMaxTokens) {
  Scheduler scheduler(*tiny().model, tok(), options(2));
  Job free = job(prompt("Write:"), 20);
  const Collected full = alone(free);
  ASSERT_GE(full.answer.size(), 6u);
  // A stop string from the middle of the reply: the answer ends right before it.
  Job stopped = job(prompt("Write:"), 20);
  stopped.stops = {full.answer.substr(3, 2)};
  const size_t cut = full.answer.find(stopped.stops[0]);
  auto stopped_channel = stopped.channel;
  scheduler.submit(stopped);
  const Collected s = collect(*stopped_channel);
  EXPECT_EQ(s.answer, full.answer.substr(0, cut));
  EXPECT_EQ(s.outcome.finish, Finish::stop);
  // An end-of-generation token made certain: it ends the reply at once, with no text.
  Job eog = job(prompt("Write:"), 20);
  eog.sampling.logit_bias[tok().eog_tokens().front()] = 100.0f;
  auto eog_channel = eog.channel;
  scheduler.submit(eog);
  const Collected e = collect(*eog_channel);
  EXPECT_EQ(e.answer, "");
  EXPECT_EQ(e.outcome.finish, Finish::stop);
  EXPECT_EQ(e.outcome.usage.completion_tokens, 1u);
  // max_tokens 0: nothing generated, finish "length".
  Job none = job(prompt("Write:"), 0);
  auto none_channel = none.channel;
  scheduler.submit(none);
  const Collected n = collect(*none_channel);
  EXPECT_EQ(n.answer, "");
  EXPECT_EQ(n.outcome.finish, Finish::length);
  EXPECT_EQ(n.outcome.usage.completion_tokens, 0u);
}

TEST_F(ServerScheduler, AConversationsNextTurnReusesItsSlotsCache) {
  Scheduler scheduler(*tiny().model, tok(), options(2));
  const std::vector<int32_t> first = prompt("<|turn>user\nHello, who are you?<turn|>\n<|turn>model\n");
  const std::vector<int32_t> other = prompt("<|turn>user\nSomething else entirely, please.<turn|>\n<|turn>model\n");
  auto run = [&](std::vector<int32_t> ids) {
    Job j = job(std::move(ids), 6);
    auto channel = j.channel;
    scheduler.submit(j);
    return collect(*channel);
  };
  EXPECT_EQ(run(first).outcome.usage.cached_tokens, 0u);
  // Another conversation takes the other (empty) slot instead of overwriting the first.
  EXPECT_EQ(run(other).outcome.usage.cached_tokens, 0u);
  std::vector<int32_t> second = first;
  const std::vector<int32_t> more = tok().encode("I am a tiny model.<turn|>\n<|turn>user\nNice.<turn|>\n", false, true);
  second.insert(second.end(), more.begin(), more.end());
  const Collected turn2 = run(second);
  EXPECT_GE(turn2.outcome.usage.cached_tokens, first.size());
  EXPECT_LT(turn2.outcome.usage.cached_tokens, second.size());
  // And the reuse changes nothing in what is generated.
  expect_same(turn2, alone(job(second, 6)), "second turn");
}

}  // namespace
}  // namespace edgelm::server
