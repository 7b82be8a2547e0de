// The eviction policies' arithmetic and choices, independent of any model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "runtime/kv_policy.h"
#include "util/error.h"

namespace edgelm {
namespace {

KvPolicyPlan plan(KvPolicy p, uint32_t n_ctx, uint32_t sinks = 4) {
  KvPolicyOptions o;
  o.policy = p;
  o.sinks = sinks;
  return plan_kv_policy(o, n_ctx);
}

TEST(KvPolicy, NamesRoundTrip) {
  for (KvPolicy p : {KvPolicy::none, KvPolicy::window, KvPolicy::attention}) {
    EXPECT_EQ(parse_kv_policy(kv_policy_name(p)), p);
  }
  EXPECT_THROW(parse_kv_policy("h2o"), Error);
}

TEST(KvPolicy, PlanFiguresFollowTheContext) {
  const KvPolicyPlan none = plan(KvPolicy::none, 256);
  EXPECT_EQ(none.max_append, 256u);
  EXPECT_EQ(none.chunk, 0u);

  // 131072: recent 1/8 = 16384, chunk 1/10 rounded up = 13108.
  const KvPolicyPlan big = plan(KvPolicy::attention, 131072);
  EXPECT_EQ(big.sinks, 4u);
  EXPECT_EQ(big.recent, 16384u);
  EXPECT_EQ(big.chunk, 13108u);
  EXPECT_EQ(big.max_append, 131072u - 4 - 16384);
  EXPECT_NEAR(big.decay, 1.0 - 1.0 / 16384, 1e-12);
  EXPECT_NEAR(std::pow(big.decay, 16384), std::exp(-1.0), 1e-4);  // horizon: the recent window

  // 256: recent 32, chunk 26; a micro-batch may add up to 220 cells.
  const KvPolicyPlan small = plan(KvPolicy::window, 256);
  EXPECT_EQ(small.recent, 32u);
  EXPECT_EQ(small.chunk, 26u);
  EXPECT_EQ(small.max_append, 220u);

  // Tiny contexts: sinks and recent take at most a quarter each.
  const KvPolicyPlan tiny = plan(KvPolicy::window, 8);
  EXPECT_EQ(tiny.sinks, 2u);
  EXPECT_EQ(tiny.recent, 1u);
  EXPECT_EQ(tiny.max_append, 5u);
  EXPECT_THROW(plan(KvPolicy::window, 1), Error);
}

TEST(KvPolicy, WindowEvictsTheOldestAfterTheSinks) {
  const KvPolicyPlan p = plan(KvPolicy::window, 100);  // sinks 4, recent 13
  EXPECT_EQ(choose_evictions(p, 100, 3, {}), (std::vector<uint32_t>{4, 5, 6}));
  // Everything between sinks and recent at most.
  EXPECT_EQ(choose_evictions(p, 100, 83, {}).back(), 86u);
  EXPECT_THROW(choose_evictions(p, 100, 84, {}), Error);
  EXPECT_THROW(choose_evictions(plan(KvPolicy::none, 100), 100, 1, {}), Error);
}

TEST(KvPolicy, AttentionEvictsTheLeastUsedButNeverSinksOrRecent) {
  const KvPolicyPlan p = plan(KvPolicy::attention, 40, 2);  // sinks 2, recent 5
  std::vector<float> scores(40);
  for (uint32_t c = 0; c < 40; ++c) scores[c] = static_cast<float>((c * 7) % 11);  // 0 at c = 0, 11, 22, 33
  scores[1] = -1.0f;  // a sink with the lowest score stays
  scores[38] = -1.0f; // so does a recent cell
  const std::vector<uint32_t> chosen = choose_evictions(p, 40, 6, scores);
  // The middle is cells 2..34 (recent: 35..39): its zeros at 11, 22, 33, then its ones
  // (c*7 % 11 == 1 at c = 8, 19, 30).
  EXPECT_EQ(chosen, (std::vector<uint32_t>{8, 11, 19, 22, 30, 33}));
  for (uint32_t c : chosen) {
    EXPECT_GE(c, p.sinks);
    EXPECT_LT(c, 40 - p.recent);
  }
  // Every chosen score is <= every kept middle score.
  float worst_chosen = -1e30f, best_kept_low = 1e30f;
  for (uint32_t c = p.sinks; c < 40 - p.recent; ++c) {
    const bool is_chosen = std::find(chosen.begin(), chosen.end(), c) != chosen.end();
    if (is_chosen) worst_chosen = std::max(worst_chosen, scores[c]);
    else best_kept_low = std::min(best_kept_low, scores[c]);
  }
  EXPECT_LE(worst_chosen, best_kept_low);
  EXPECT_THROW(choose_evictions(p, 40, 1, std::vector<float>(10)), Error);  // scores missing
}

}  // namespace
}  // namespace edgelm
