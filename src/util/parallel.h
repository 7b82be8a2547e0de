#pragma once
// Minimal fork-join helper: runs f(i) for i in [0, n) on up to `threads` threads.
// Work is handed out one index at a time, so uneven items balance themselves.
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace edgelm {

template <typename F>
void parallel_for(size_t n, int threads, F&& f) {
  const size_t n_threads = std::min<size_t>(n, static_cast<size_t>(std::max(threads, 1)));
  if (n_threads <= 1) {
    for (size_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) {
      try {
        f(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        next = n;  // stop handing out work
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(n_threads - 1);
  for (size_t t = 1; t < n_threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace edgelm
