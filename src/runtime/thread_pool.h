#pragma once
// A persistent pool of worker threads for the forward pass. Decode runs hundreds of
// small parallel loops per token, so threads are started once, and between loops they
// poll for a short while (the next loop is usually microseconds away), yielding the core
// when others want it, before sleeping on a futex.
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "util/function_ref.h"

namespace edgelm {

class ThreadPool {
 public:
  // `n_threads` includes the calling thread (1 = run everything inline).
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Runs fn(thread_index) once on each of the size() threads and waits for all.
  // The caller is thread 0. Exceptions from any thread are rethrown here.
  void run(FunctionRef<void(int)> fn);

  // Splits [0, n) into contiguous ranges, one per thread: fn(begin, end).
  void parallel_ranges(int64_t n, FunctionRef<void(int64_t, int64_t)> fn);

  // Hands out [0, n) in chunks of `grain` (the last may be shorter) to whichever
  // thread is free: balances uneven work and threads slowed down by other processes.
  void parallel_chunks(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn);

 private:
  void worker(int index);
  // Waits until generation_ differs from `seen`; returns the new value.
  uint32_t wait_for_job(uint32_t seen);
  void wait_for_workers();
  void record_error();

  int n_threads_;
  std::vector<std::thread> threads_;
  // The job of the current generation; written by run() before it bumps generation_.
  const FunctionRef<void(int)>* job_ = nullptr;
  alignas(64) std::atomic<uint32_t> generation_{0};
  std::atomic<int> sleeping_workers_{0};
  std::atomic<bool> stop_{false};
  alignas(64) std::atomic<int> pending_{0};
  std::atomic<bool> caller_sleeping_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

}  // namespace edgelm
