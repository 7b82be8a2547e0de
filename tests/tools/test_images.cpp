#include "tools/test_images.h"

#include <stb_image_write.h>
#include <webp/encode.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace edgelm::test {
namespace {

void append(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const auto* bytes = static_cast<const uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

uint32_t hash(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  return x ^ (x >> 16);
}

}  // namespace

RgbImage synthetic_image(int width, int height, uint32_t seed) {
  RgbImage img{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  const double cx = width * (0.3 + 0.4 * (hash(seed) % 100) / 100.0), cy = height * 0.5;
  const double radius = std::min(width, height) * 0.3;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = img.pixels.data() + (static_cast<size_t>(y) * width + x) * 3;
      const double u = static_cast<double>(x) / width, v = static_cast<double>(y) / height;
      const bool disc = (x - cx) * (x - cx) + (y - cy) * (y - cy) < radius * radius;
      const bool stripe = ((x + y + static_cast<int>(seed)) / 7) % 2 == 0;
      const int noise = static_cast<int>(hash(seed * 7919u + static_cast<uint32_t>(y * width + x)) % 24) - 12;
      int r = static_cast<int>(255 * u) + noise, g = static_cast<int>(255 * v) + noise, b = stripe ? 200 : 60;
      if (disc) {
        r = 255 - r;
        g = (g + 128) % 256;
        b = 255 - b;
      }
      p[0] = static_cast<uint8_t>(std::clamp(r, 0, 255));
      p[1] = static_cast<uint8_t>(std::clamp(g, 0, 255));
      p[2] = static_cast<uint8_t>(std::clamp(b, 0, 255));
    }
  }
  return img;
}

std::vector<uint8_t> encode_png(const RgbImage& image) {
  std::vector<uint8_t> out;
  if (!stbi_write_png_to_func(append, &out, image.width, image.height, 3, image.pixels.data(), image.width * 3)) {
    throw std::runtime_error("stbi_write_png_to_func failed");
  }
  return out;
}

std::vector<uint8_t> encode_jpeg(const RgbImage& image, int quality) {
  std::vector<uint8_t> out;
  if (!stbi_write_jpg_to_func(append, &out, image.width, image.height, 3, image.pixels.data(), quality)) {
    throw std::runtime_error("stbi_write_jpg_to_func failed");
  }
  return out;
}

std::vector<uint8_t> encode_bmp(const RgbImage& image) {
  std::vector<uint8_t> out;
  if (!stbi_write_bmp_to_func(append, &out, image.width, image.height, 3, image.pixels.data())) {
    throw std::runtime_error("stbi_write_bmp_to_func failed");
  }
  return out;
}

std::vector<uint8_t> encode_webp_lossless(const RgbImage& image) {
  uint8_t* data = nullptr;
  const size_t size = WebPEncodeLosslessRGB(image.pixels.data(), image.width, image.height, image.width * 3, &data);
  if (size == 0) throw std::runtime_error("WebPEncodeLosslessRGB failed");
  std::vector<uint8_t> out(data, data + size);
  WebPFree(data);
  return out;
}

std::vector<uint8_t> encode_image(const RgbImage& image, const std::string& format) {
  if (format == "png") return encode_png(image);
  if (format == "jpeg" || format == "jpg") return encode_jpeg(image);
  if (format == "bmp") return encode_bmp(image);
  if (format == "webp") return encode_webp_lossless(image);
  throw std::runtime_error("unknown image format " + format);
}

}  // namespace edgelm::test
