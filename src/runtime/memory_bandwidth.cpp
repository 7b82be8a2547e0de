#include "runtime/memory_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <new>
#include <vector>

#include "runtime/bench_stats.h"
#include "runtime/thread_pool.h"
#include "util/error.h"

namespace edgelm {

namespace {

// 32 bytes per load: the widest the target has (the compiler splits it on narrower
// machines), so the loop is limited by memory, not by load instructions.
typedef uint64_t Vec __attribute__((vector_size(32)));

struct Slice {
  uint64_t begin, end;
};

Slice slice_of(uint64_t n, int threads, int index) {
  const uint64_t per = n / static_cast<uint64_t>(threads), extra = n % static_cast<uint64_t>(threads);
  const auto i = static_cast<uint64_t>(index);
  const uint64_t begin = i * per + std::min(i, extra);
  return {begin, begin + per + (i < extra ? 1 : 0)};
}

// Sums the slice with four independent accumulators (loads in flight, no dependency
// chain); the caller keeps the result so the loads cannot be optimised away. (Vectors
// stay inside: passing them by value would depend on the target's vector ABI.)
uint64_t read_slice(const Vec* data, Slice s) {
  Vec a{}, b{}, c{}, d{};
  uint64_t i = s.begin;
  for (; i + 4 <= s.end; i += 4) {
    a += data[i];
    b += data[i + 1];
    c += data[i + 2];
    d += data[i + 3];
  }
  for (; i < s.end; ++i) a += data[i];
  const Vec sum = (a + b) + (c + d);
  return sum[0] + sum[1] + sum[2] + sum[3];
}

}  // namespace

BandwidthResult measure_read_bandwidth(ThreadPool& pool, uint64_t buffer_bytes, int passes) {
  if (buffer_bytes == 0) fail("bandwidth test: the buffer size must be positive");
  if (passes <= 0) fail("bandwidth test: the pass count must be positive");
  const int threads = pool.size();
  const uint64_t n = std::max<uint64_t>(buffer_bytes / sizeof(Vec), static_cast<uint64_t>(threads));
  std::unique_ptr<Vec[]> buffer(new (std::nothrow) Vec[n]);
  if (!buffer) fail("bandwidth test: cannot allocate {} bytes", n * sizeof(Vec));
  Vec* data = buffer.get();

  // Each thread writes (and so first touches) the slice it will read.
  pool.run([&](int t) {
    const Slice s = slice_of(n, threads, t);
    for (uint64_t i = s.begin; i < s.end; ++i) data[i] = Vec{i, i + 1, i + 2, i + 3};
  });

  std::vector<uint64_t> sums(static_cast<size_t>(threads));
  std::vector<double> rates;
  using clock = std::chrono::steady_clock;
  for (int p = 0; p < passes; ++p) {
    const auto t0 = clock::now();
    pool.run([&](int t) { sums[static_cast<size_t>(t)] += read_slice(data, slice_of(n, threads, t)); });
    const double s = std::chrono::duration<double>(clock::now() - t0).count();
    rates.push_back(static_cast<double>(n * sizeof(Vec)) / s);
  }
  // Publishing the sums keeps the reads observable.
  volatile uint64_t sink = 0;
  for (uint64_t v : sums) sink = sink + v;

  const SampleSummary summary = summarize(rates);
  BandwidthResult r;
  r.bytes_per_s = summary.max;
  r.median_bytes_per_s = summary.median;
  r.buffer_bytes = n * sizeof(Vec);
  r.passes = passes;
  r.threads = threads;
  return r;
}

}  // namespace edgelm
