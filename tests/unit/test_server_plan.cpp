// The scheduler's policies on their own: what each slot evaluates in a step (decoding
// slots never wait, prompts go in chunks first come first served within the step's
// budget, the oldest prompt always progresses) and which idle slot takes a request
// (the longest cached prefix, else the least recently used).
#include <gtest/gtest.h>

#include <vector>

#include "server/step_plan.h"

namespace edgelm::server {
namespace {

using Plan = std::vector<uint32_t>;

Plan plan(std::vector<size_t> pending, uint32_t n_ubatch, uint32_t n_batch) {
  return plan_step(pending, n_ubatch, n_batch);
}

TEST(ServerPlan, DecodingSlotsAlwaysEvaluateTheirToken) {
  EXPECT_EQ(plan({1, 1, 1}, 512, 512), (Plan{1, 1, 1}));
  // Even past the budget: a decode step is never delayed by the budget.
  EXPECT_EQ(plan({1, 1, 1, 1}, 2, 2), (Plan{1, 1, 1, 1}));
}

TEST(ServerPlan, PromptsGoInChunksOfAtMostOneMicroBatch) {
  EXPECT_EQ(plan({1000}, 256, 512), (Plan{256}));
  EXPECT_EQ(plan({100}, 256, 512), (Plan{100}));
  EXPECT_EQ(plan({1, 700, 1}, 256, 512), (Plan{1, 256, 1}));
}

TEST(ServerPlan, TheBudgetIsSharedFirstComeFirstServed) {
  // 2 decode tokens + 256 + 254 would exceed 512 with a third chunk: the later prompt waits.
  EXPECT_EQ(plan({1, 300, 1, 254, 900}, 256, 512), (Plan{1, 256, 1, 254, 0}));
  // A later prompt that would fit does not overtake one that waits.
  EXPECT_EQ(plan({400, 400, 10}, 256, 300), (Plan{256, 0, 0}));
  EXPECT_EQ(plan({400, 400, 10}, 256, 512), (Plan{256, 256, 0}));
}

TEST(ServerPlan, TheOldestPromptProgressesWhateverTheBudget) {
  EXPECT_EQ(plan({1, 1, 1, 5000}, 512, 2), (Plan{1, 1, 1, 512}));
  EXPECT_EQ(plan({}, 512, 512), Plan{});
}

TEST(ServerPlan, ASlotWhoseCacheTheRequestContinuesIsPreferred) {
  // {idle, shared prefix, cached tokens, last started}
  const std::vector<SlotCandidate> slots = {
      {true, 10, 100, 5}, {false, 99, 99, 1}, {true, 40, 60, 9}, {true, 40, 50, 7}, {true, 0, 0, 0}};
  // Slot 1 is busy; slot 0 would lose 90 of its 100 tokens (no match); slots 2 and 3
  // are continued by the request and share 40 tokens: the one used longer ago wins.
  EXPECT_EQ(choose_slot(slots), 3);
  EXPECT_EQ(choose_slot(std::vector<SlotCandidate>{{true, 30, 60, 1}, {true, 50, 60, 2}}), 1);
}

TEST(ServerPlan, AnUnrelatedRequestTakesTheLeastRecentlyUsedSlot) {
  // A shared chat-template header is no reason to overwrite another conversation's
  // cache: an empty slot (never used) or the least recently used one is taken.
  EXPECT_EQ(choose_slot(std::vector<SlotCandidate>{{true, 5, 300, 8}, {true, 0, 0, 0}}), 1);
  EXPECT_EQ(choose_slot(std::vector<SlotCandidate>{{true, 5, 300, 8}, {true, 4, 200, 3}, {true, 5, 90, 6}}), 1);
  EXPECT_EQ(choose_slot(std::vector<SlotCandidate>{{false, 0, 0, 0}, {false, 3, 3, 0}}), -1);
  EXPECT_EQ(choose_slot(std::vector<SlotCandidate>{}), -1);
}

}  // namespace
}  // namespace edgelm::server
