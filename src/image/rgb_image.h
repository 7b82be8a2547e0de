#pragma once
// An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace edgelm {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // width · height · 3

  const uint8_t* pixel(int x, int y) const { return pixels.data() + (static_cast<std::size_t>(y) * width + x) * 3; }
};

}  // namespace edgelm
