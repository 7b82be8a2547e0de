#pragma once
// Counter-based random numbers for synthetic weights: value k of stream s is a pure
// function of (s, k), so any row can be generated on any thread in any order and the
// file is identical for a given seed whatever the thread count.
#include <cstdint>
#include <string_view>

namespace edgelm {

// SplitMix64 finaliser: a strong 64-bit mixing function.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Stream id for one tensor of one model seed (FNV-1a of the name, mixed with the seed).
uint64_t stream_id(uint64_t seed, std::string_view tensor_name);

// Fills out[0..n) with values uniform in [-amplitude, amplitude), taking numbers
// first..first+n of the stream.
void fill_uniform(uint64_t stream, uint64_t first, float* out, uint64_t n, float amplitude);

// A single uniform value in [0, 1) (number k of the stream).
float uniform01(uint64_t stream, uint64_t k);

}  // namespace edgelm
