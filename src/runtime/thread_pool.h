#pragma once
// A persistent pool of worker threads for the forward pass. Decode runs hundreds of
// small parallel loops per token, so threads are started once and woken per loop
// instead of being created each time.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

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
  void run(const std::function<void(int)>& fn);

  // Splits [0, n) into contiguous ranges, one per thread: fn(begin, end).
  void parallel_ranges(int64_t n, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker(int index);

  int n_threads_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int)>* job_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace edgelm
