#include "runtime/thread_pool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace edgelm {

namespace {

// An idle thread first spins with pause instructions: the next parallel loop of a
// decode step is usually a few microseconds away. Then it keeps polling but yields the
// core at each poll, so on a machine with more runnable threads than cores the others
// (often our own slowest thread) get to run; on an idle machine a yield returns at
// once. After that it sleeps on a futex.
constexpr auto kPauseSpin = std::chrono::microseconds(5);
constexpr auto kYieldSpin = std::chrono::microseconds(200);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

// Polls done() for up to kPauseSpin + kYieldSpin; returns done().
template <typename Done>
bool spin_until(Done done) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  for (int i = 0;; ++i) {
    if (done()) return true;
    cpu_relax();
    if ((i & 31) == 31 && clock::now() - start > kPauseSpin) break;
  }
  const auto deadline = start + kPauseSpin + kYieldSpin;
  while (clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::yield();
  }
  return done();
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) threads_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_seq_cst);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  generation_.notify_all();
  for (auto& t : threads_) t.join();
}

uint32_t ThreadPool::wait_for_job(uint32_t seen) {
  uint32_t g = seen;
  if (spin_until([&] { return (g = generation_.load(std::memory_order_acquire)) != seen; })) return g;
  // Announce the sleep before the last check; run() reads sleeping_workers_ after
  // bumping generation_ (both sequentially consistent), so one of us sees the other.
  sleeping_workers_.fetch_add(1, std::memory_order_seq_cst);
  while ((g = generation_.load(std::memory_order_seq_cst)) == seen) generation_.wait(seen, std::memory_order_seq_cst);
  sleeping_workers_.fetch_sub(1, std::memory_order_relaxed);
  return g;
}

void ThreadPool::record_error() {
  std::lock_guard lock(error_mutex_);
  if (!error_) error_ = std::current_exception();
}

void ThreadPool::worker(int index) {
  uint32_t seen = 0;
  for (;;) {
    seen = wait_for_job(seen);
    if (stop_.load(std::memory_order_acquire)) return;
    try {
      (*job_)(index);
    } catch (...) {
      record_error();
    }
    if (pending_.fetch_sub(1, std::memory_order_seq_cst) == 1 && caller_sleeping_.load(std::memory_order_seq_cst)) {
      pending_.notify_all();
    }
  }
}

void ThreadPool::wait_for_workers() {
  if (spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; })) return;
  caller_sleeping_.store(true, std::memory_order_seq_cst);
  for (int p; (p = pending_.load(std::memory_order_seq_cst)) != 0;) pending_.wait(p, std::memory_order_seq_cst);
  caller_sleeping_.store(false, std::memory_order_relaxed);
}

void ThreadPool::run(FunctionRef<void(int)> fn) {
  if (n_threads_ == 1) {
    fn(0);
    return;
  }
  job_ = &fn;
  error_ = nullptr;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_seq_cst);  // publishes job_ and pending_
  if (sleeping_workers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
  std::exception_ptr mine;
  try {
    fn(0);
  } catch (...) {
    mine = std::current_exception();
  }
  wait_for_workers();
  job_ = nullptr;
  if (mine) std::rethrow_exception(mine);
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::parallel_ranges(int64_t n, FunctionRef<void(int64_t, int64_t)> fn) {
  if (n <= 0) return;
  const int parts = static_cast<int>(std::min<int64_t>(n, n_threads_));
  if (parts == 1) {
    fn(0, n);
    return;
  }
  run([&](int t) {
    if (t >= parts) return;
    const int64_t begin = n * t / parts, end = n * (t + 1) / parts;
    fn(begin, end);
  });
}

void ThreadPool::parallel_chunks(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t chunks = (n + grain - 1) / grain;
  if (chunks == 1 || n_threads_ == 1) {
    for (int64_t c = 0; c < chunks; ++c) fn(c * grain, std::min(n, (c + 1) * grain));
    return;
  }
  std::atomic<int64_t> next{0};
  run([&](int) {
    for (int64_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < chunks;) {
      fn(c * grain, std::min(n, (c + 1) * grain));
    }
  });
}

}  // namespace edgelm
