#pragma once
// A streaming-read memory bandwidth test: the ceiling for decoding, which reads every
// weight once per token. Decode speed divided by (bandwidth / weight bytes per token)
// says how close to the hardware's limit the engine runs.
#include <cstdint>

namespace edgelm {

class ThreadPool;

struct BandwidthResult {
  double bytes_per_s = 0.0;  // best pass: the hardware's ceiling, not a typical value
  double median_bytes_per_s = 0.0;
  uint64_t buffer_bytes = 0;
  int passes = 0;
  int threads = 0;
};

// Fills a buffer of about `buffer_bytes` (rounded down to whole 32-byte vectors, at
// least one per thread) in parallel, then reads it `passes` times with every thread of
// `pool` streaming its own contiguous slice. Throws edgelm::Error for a zero size or
// pass count, or when the buffer cannot be allocated.
BandwidthResult measure_read_bandwidth(ThreadPool& pool, uint64_t buffer_bytes, int passes);

}  // namespace edgelm
