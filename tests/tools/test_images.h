#pragma once
// Test images made on the spot (no downloads): deterministic synthetic pictures
// (gradients, discs, stripes and noise, so resizing and compression have something to
// work on) and their PNG / JPEG / BMP / WebP encodings, by Debian's stb_image_write
// and libwebp.
#include <cstdint>
#include <string>
#include <vector>

#include "image/rgb_image.h"

namespace edgelm::test {

RgbImage synthetic_image(int width, int height, uint32_t seed);

std::vector<uint8_t> encode_png(const RgbImage& image);
std::vector<uint8_t> encode_jpeg(const RgbImage& image, int quality = 90);
std::vector<uint8_t> encode_bmp(const RgbImage& image);
std::vector<uint8_t> encode_webp_lossless(const RgbImage& image);

// Encodes by format name: "png", "jpeg"/"jpg", "bmp", "webp".
std::vector<uint8_t> encode_image(const RgbImage& image, const std::string& format);

}  // namespace edgelm::test
