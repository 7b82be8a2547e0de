// The thread pool: every index handed out exactly once, exceptions carried to the
// caller, and back-to-back or spaced-out loops (spinning and sleeping workers) all
// complete.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/thread_pool.h"

namespace edgelm {
namespace {

TEST(ThreadPool, ChunksCoverEveryIndexOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 5, 16, 17, 1000}) {
      for (int64_t grain : {1, 3, 16, 5000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.parallel_chunks(n, grain, [&](int64_t b, int64_t e) {
          EXPECT_LE(e - b, grain);
          EXPECT_EQ(b % grain, 0);
          for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << threads << " " << n << " " << grain;
      }
    }
  }
}

TEST(ThreadPool, RangesSplitContiguously) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(10);
  pool.parallel_ranges(10, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
  });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ThreadPool, WorkerExceptionsReachTheCallerAndThePoolStaysUsable) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.run([](int t) {
    if (t == 2) throw std::runtime_error("worker");
  }),
               std::runtime_error);
  EXPECT_THROW(pool.run([](int t) {
    if (t == 0) throw std::runtime_error("caller");
  }),
               std::runtime_error);
  std::atomic<int> ran{0};
  pool.run([&](int) { ran++; });
  EXPECT_EQ(ran.load(), 3);
}

// Loops back to back (workers spinning) and after pauses longer than the spin (workers
// asleep on the futex) must all run on every thread.
TEST(ThreadPool, LoopsCompleteWhetherWorkersSpinOrSleep) {
  ThreadPool pool(4);
  std::atomic<int64_t> total{0};
  int64_t expect = 0;
  for (int i = 0; i < 3000; ++i) {
    if (i % 500 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    pool.run([&](int t) { total += t + 1; });
    expect += 1 + 2 + 3 + 4;
  }
  EXPECT_EQ(total.load(), expect);
}

}  // namespace
}  // namespace edgelm
