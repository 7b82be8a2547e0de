#include "image/image_decode.h"

#include <stb_image.h>
#include <webp/decode.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>

#include "util/error.h"

namespace edgelm {
namespace {

bool starts_with(std::span<const uint8_t> b, std::string_view magic, size_t at = 0) {
  return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

std::string what(std::string_view name) { return name.empty() ? std::string("image") : printable(name, 200); }

// stb_image fills a truncated JPEG with grey instead of failing: require the
// end-of-image marker after the last start-of-scan (markers cannot occur inside the
// entropy-coded data, where every 0xFF byte is stuffed).
void require_complete_jpeg(std::span<const uint8_t> b, std::string_view name) {
  size_t last_sos = 0;
  for (size_t i = 0; i + 1 < b.size(); ++i) {
    if (b[i] == 0xFF && b[i + 1] == 0xDA) last_sos = i;
  }
  if (last_sos == 0) fail("{}: corrupt JPEG: no image data (start-of-scan marker)", what(name));
  for (size_t i = b.size() - 1; i > last_sos + 1; --i) {
    if (b[i - 1] == 0xFF && b[i] == 0xD9) return;
  }
  fail("{}: truncated JPEG: the image data has no end-of-image marker", what(name));
}

// stb_image reads zeros past the end of a truncated BMP; its header says how long the
// file is (bfSize, bytes 2..5; 0 = not given).
void require_complete_bmp(std::span<const uint8_t> b, std::string_view name) {
  if (b.size() < 6) fail("{}: truncated BMP header", what(name));
  const uint32_t declared = static_cast<uint32_t>(b[2]) | static_cast<uint32_t>(b[3]) << 8 |
                            static_cast<uint32_t>(b[4]) << 16 | static_cast<uint32_t>(b[5]) << 24;
  if (declared > b.size()) fail("{}: truncated BMP: {} of {} bytes", what(name), b.size(), declared);
}

uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 | p[3];
}
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[3]) << 24 | static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[1]) << 8 | p[0];
}

// PNG: IHDR's width and height (bytes 16..23, big-endian). BMP (BITMAPINFOHEADER and
// later): width and height at bytes 18..25, little-endian, the height negative for
// top-down rows. Sizes past INT_MAX count as INT_MAX (over every limit).
bool read_fixed_header_size(std::span<const uint8_t> b, ImageHeader& h) {
  auto clamp_int = [](int64_t v) { return static_cast<int>(std::min<int64_t>(v, INT32_MAX)); };
  if (h.format == ImageFormat::kPng) {
    if (b.size() < 24) return false;
    h.width = clamp_int(be32(&b[16]));
    h.height = clamp_int(be32(&b[20]));
    return true;
  }
  if (b.size() < 26) return false;
  if (le32(&b[14]) < 40) return true;  // an old OS/2 header: 16-bit sizes, left to stb
  h.width = clamp_int(static_cast<int32_t>(le32(&b[18])));
  const int64_t height = static_cast<int32_t>(le32(&b[22]));
  h.height = clamp_int(height < 0 ? -height : height);
  return true;
}

void check_limits(const ImageHeader& h, std::string_view name, const ImageLimits& limits) {
  if (h.width <= 0 || h.height <= 0) fail("{}: corrupt {} header: {}x{} pixels", what(name), image_format_name(h.format), h.width, h.height);
  const uint64_t pixels = static_cast<uint64_t>(h.width) * static_cast<uint64_t>(h.height);
  if (static_cast<uint32_t>(h.width) > limits.max_side || static_cast<uint32_t>(h.height) > limits.max_side ||
      pixels > limits.max_pixels) {
    fail("{}: {} image of {}x{} pixels is too large (limits: {} pixels per side, {} pixels in all); refusing to "
         "decode it",
         what(name), image_format_name(h.format), h.width, h.height, limits.max_side, limits.max_pixels);
  }
}

std::string stb_reason() {
  const char* r = stbi_failure_reason();
  return r ? r : "unknown error";
}

RgbImage decode_with_stb(std::span<const uint8_t> bytes, const ImageHeader& h, std::string_view name) {
  int w = 0, ht = 0, channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> data(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &ht, &channels, 3), stbi_image_free);
  if (!data) fail("{}: corrupt or truncated {} data (stb_image: {})", what(name), image_format_name(h.format), stb_reason());
  if (w != h.width || ht != h.height) {
    fail("{}: corrupt {}: the header says {}x{} but the data decodes to {}x{}", what(name), image_format_name(h.format),
         h.width, h.height, w, ht);
  }
  RgbImage img;
  img.width = w;
  img.height = ht;
  img.pixels.assign(data.get(), data.get() + static_cast<size_t>(w) * static_cast<size_t>(ht) * 3);
  return img;
}

RgbImage decode_with_libwebp(std::span<const uint8_t> bytes, const ImageHeader& h, std::string_view name) {
  RgbImage img;
  img.width = h.width;
  img.height = h.height;
  img.pixels.resize(static_cast<size_t>(h.width) * static_cast<size_t>(h.height) * 3);
  const int stride = h.width * 3;
  if (!WebPDecodeRGBInto(bytes.data(), bytes.size(), img.pixels.data(), img.pixels.size(), stride)) {
    fail("{}: cannot decode WebP data (corrupt or truncated)", what(name));
  }
  return img;
}

}  // namespace

std::string_view image_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng: return "PNG";
    case ImageFormat::kJpeg: return "JPEG";
    case ImageFormat::kGif: return "GIF";
    case ImageFormat::kBmp: return "BMP";
    case ImageFormat::kWebp: return "WebP";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

ImageFormat sniff_image_format(std::span<const uint8_t> b) {
  if (starts_with(b, "\x89PNG\r\n\x1a\n")) return ImageFormat::kPng;
  if (starts_with(b, "\xFF\xD8\xFF")) return ImageFormat::kJpeg;
  if (starts_with(b, "GIF87a") || starts_with(b, "GIF89a")) return ImageFormat::kGif;
  if (starts_with(b, "BM")) return ImageFormat::kBmp;
  if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) return ImageFormat::kWebp;
  return ImageFormat::kUnknown;
}

ImageHeader read_image_header(std::span<const uint8_t> bytes, std::string_view name, const ImageLimits& limits) {
  if (bytes.empty()) fail("{}: the image is empty", what(name));
  if (bytes.size() > limits.max_file_bytes) {
    fail("{}: the image file has {} bytes, more than the limit of {}", what(name), bytes.size(), limits.max_file_bytes);
  }
  ImageHeader h;
  h.format = sniff_image_format(bytes);
  switch (h.format) {
    case ImageFormat::kUnknown:
      fail("{}: unsupported image format (not PNG, JPEG, WebP, GIF or BMP)", what(name));
    case ImageFormat::kWebp: {
      WebPBitstreamFeatures features;
      if (WebPGetFeatures(bytes.data(), bytes.size(), &features) != VP8_STATUS_OK) {
        fail("{}: corrupt WebP header", what(name));
      }
      if (features.has_animation) fail("{}: animated WebP is not supported", what(name));
      h.width = features.width;
      h.height = features.height;
      break;
    }
    case ImageFormat::kPng:
    case ImageFormat::kBmp:
      // Read the size ourselves: stb refuses very large PNG/BMP sizes with a vague
      // "unknown image type", and the limits below should say what is wrong.
      if (!read_fixed_header_size(bytes, h)) fail("{}: truncated {} header", what(name), image_format_name(h.format));
      if (h.width > 0 && h.height > 0) check_limits(h, name, limits);
      [[fallthrough]];
    default: {
      int channels = 0;
      if (!stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &h.width, &h.height, &channels)) {
        fail("{}: corrupt {} header: {}", what(name), image_format_name(h.format), stb_reason());
      }
      break;
    }
  }
  check_limits(h, name, limits);
  return h;
}

RgbImage decode_image(std::span<const uint8_t> bytes, std::string_view name, const ImageLimits& limits) {
  const ImageHeader h = read_image_header(bytes, name, limits);
  if (h.format == ImageFormat::kWebp) return decode_with_libwebp(bytes, h, name);
  if (h.format == ImageFormat::kJpeg) require_complete_jpeg(bytes, name);
  if (h.format == ImageFormat::kBmp) require_complete_bmp(bytes, name);
  return decode_with_stb(bytes, h, name);
}

}  // namespace edgelm
