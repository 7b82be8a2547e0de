#pragma once
// The process's resident memory, as benchmarks report it: what the model's mapped
// pages, the KV cache and scratch buffers cost the machine.
#include <cstdint>

namespace edgelm {

// Peak resident set size so far, in bytes: the larger of getrusage's ru_maxrss and
// /proc/self/status VmHWM (the two agree on Linux; either may be missing elsewhere).
// 0 when neither is available.
uint64_t peak_rss_bytes();

// Current resident set size in bytes (/proc/self/status VmRSS), 0 when unavailable.
uint64_t current_rss_bytes();

}  // namespace edgelm
