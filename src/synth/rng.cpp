#include "synth/rng.h"

namespace edgelm {

uint64_t stream_id(uint64_t seed, std::string_view tensor_name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : tensor_name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return mix64(h ^ mix64(seed));
}

namespace {
// 24 random bits -> [0, 1)
inline float to_unit(uint32_t bits) { return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f); }
}  // namespace

void fill_uniform(uint64_t stream, uint64_t first, float* out, uint64_t n, float amplitude) {
  const float scale = 2.0f * amplitude;
  for (uint64_t k = 0; k < n; ++k) {
    const uint64_t r = mix64(stream + (first + k) * 0x9e3779b97f4a7c15ull);
    out[k] = (to_unit(static_cast<uint32_t>(r)) - 0.5f) * scale;
  }
}

float uniform01(uint64_t stream, uint64_t k) { return to_unit(static_cast<uint32_t>(mix64(stream + k * 0x9e3779b97f4a7c15ull))); }

}  // namespace edgelm
