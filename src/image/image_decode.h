#pragma once
// Image files to RGB: PNG, JPEG, GIF (first frame) and BMP through Debian's stb_image,
// WebP through libwebp. Every input is untrusted: the dimensions are read from the
// header and checked against the limits BEFORE any pixel is decoded (a tiny file can
// declare a gigapixel image), and any decoding failure is an edgelm::Error naming the
// file and the reason. Alpha is dropped (not composited), as llama.cpp does.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "image/rgb_image.h"

namespace edgelm {

enum class ImageFormat { kUnknown, kPng, kJpeg, kGif, kBmp, kWebp };

// "png", "jpeg", ...; "unknown".
std::string_view image_format_name(ImageFormat format);
// The format the leading bytes announce (magic numbers only; nothing is decoded).
ImageFormat sniff_image_format(std::span<const uint8_t> bytes);

struct ImageLimits {
  uint64_t max_file_bytes = 64ull << 20;  // 64 MiB
  uint32_t max_side = 16384;              // pixels per side
  uint64_t max_pixels = 50'000'000;       // width · height (RGB: 150 MB once decoded)
};

struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;
  int height = 0;
};

// Reads only the header; throws when the format is unsupported, the header is
// malformed or the dimensions exceed the limits. `name` labels messages.
ImageHeader read_image_header(std::span<const uint8_t> bytes, std::string_view name, const ImageLimits& limits = {});

// Decodes after read_image_header's checks.
RgbImage decode_image(std::span<const uint8_t> bytes, std::string_view name, const ImageLimits& limits = {});

}  // namespace edgelm
