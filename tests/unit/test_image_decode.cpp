// Image decoding: formats, exact round trips where the format is lossless, limits
// checked before decoding, and bad input (truncated, corrupted, unsupported) giving an
// edgelm::Error and never a crash.
#include <gtest/gtest.h>

#include <random>

#include "image/image_decode.h"
#include "tools/test_images.h"
#include "util/error.h"

namespace edgelm {
namespace {

using test::encode_bmp;
using test::encode_jpeg;
using test::encode_png;
using test::encode_webp_lossless;
using test::synthetic_image;

TEST(ImageDecode, LosslessFormatsRoundTripExactly) {
  for (auto [w, h] : {std::pair{1, 1}, {17, 5}, {64, 48}, {33, 100}}) {
    const RgbImage img = synthetic_image(w, h, 3);
    for (const auto& [name, bytes] : {std::pair{"png", encode_png(img)}, {"bmp", encode_bmp(img)},
                                      {"webp", encode_webp_lossless(img)}}) {
      const RgbImage back = decode_image(bytes, name);
      EXPECT_EQ(back.width, w) << name;
      EXPECT_EQ(back.height, h) << name;
      EXPECT_EQ(back.pixels, img.pixels) << name << " " << w << "x" << h;
    }
  }
}

TEST(ImageDecode, JpegDecodesCloseToTheOriginal) {
  const RgbImage img = synthetic_image(96, 64, 5);
  const RgbImage back = decode_image(encode_jpeg(img, 95), "x.jpg");
  ASSERT_EQ(back.width, 96);
  ASSERT_EQ(back.height, 64);
  double err = 0.0;
  for (size_t i = 0; i < img.pixels.size(); ++i) err += std::abs(int(img.pixels[i]) - int(back.pixels[i]));
  EXPECT_LT(err / static_cast<double>(img.pixels.size()), 12.0);  // lossy, but the same picture
}

TEST(ImageDecode, SniffsFormatsByMagic) {
  const RgbImage img = synthetic_image(8, 8, 1);
  EXPECT_EQ(sniff_image_format(encode_png(img)), ImageFormat::kPng);
  EXPECT_EQ(sniff_image_format(encode_jpeg(img)), ImageFormat::kJpeg);
  EXPECT_EQ(sniff_image_format(encode_bmp(img)), ImageFormat::kBmp);
  EXPECT_EQ(sniff_image_format(encode_webp_lossless(img)), ImageFormat::kWebp);
  const std::string gif = "GIF89a";
  EXPECT_EQ(sniff_image_format({reinterpret_cast<const uint8_t*>(gif.data()), gif.size()}), ImageFormat::kGif);
  const std::string text = "hello, this is not an image";
  EXPECT_EQ(sniff_image_format({reinterpret_cast<const uint8_t*>(text.data()), text.size()}), ImageFormat::kUnknown);
}

void expect_error(std::span<const uint8_t> bytes, const std::string& needle, const ImageLimits& limits = {}) {
  try {
    decode_image(bytes, "bad.img", limits);
    FAIL() << "no error; expected one mentioning '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad.img"), std::string::npos) << e.what();
  }
}

TEST(ImageDecode, UnsupportedAndEmptyInputAreClearErrors) {
  const std::string text = "P6\n2 2\n255\n............";  // PPM: stb reads it, we do not accept it
  expect_error({reinterpret_cast<const uint8_t*>(text.data()), text.size()}, "unsupported image format");
  expect_error({}, "empty");
}

// A PNG whose header announces a huge image (a decompression bomb's shape): the limit
// must trip on the header, before any pixel memory is allocated.
std::vector<uint8_t> png_with_size(uint32_t w, uint32_t h) {
  std::vector<uint8_t> png = encode_png(synthetic_image(4, 4, 2));
  // IHDR data starts at byte 16: width, height as big-endian u32 (the CRC is then
  // wrong, which stb does not check; the header is all the limit looks at).
  for (int i = 0; i < 4; ++i) {
    png[16 + i] = static_cast<uint8_t>(w >> (24 - 8 * i));
    png[20 + i] = static_cast<uint8_t>(h >> (24 - 8 * i));
  }
  return png;
}

TEST(ImageDecode, HugeDimensionsAreRefusedBeforeDecoding) {
  expect_error(png_with_size(100000, 100000), "too large");
  expect_error(png_with_size(20000, 10), "too large");  // one side over the limit
  ImageLimits small;
  small.max_pixels = 100;
  expect_error(encode_png(synthetic_image(11, 10, 1)), "too large", small);
  EXPECT_NO_THROW(decode_image(encode_png(synthetic_image(10, 10, 1)), "ok.png", small));
  ImageLimits tiny_file;
  tiny_file.max_file_bytes = 10;
  expect_error(encode_png(synthetic_image(10, 10, 1)), "bytes", tiny_file);
}

TEST(ImageDecode, TruncatedImagesAreErrors) {
  const RgbImage img = synthetic_image(40, 30, 9);
  for (const auto& [name, bytes] : {std::pair{"png", encode_png(img)}, {"jpeg", encode_jpeg(img)},
                                    {"webp", encode_webp_lossless(img)}, {"bmp", encode_bmp(img)}}) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() * 2 / 3));
    EXPECT_THROW(decode_image(cut, name), Error) << name;
  }
}

// Fuzz-ish: every truncation length and many random corruptions of each format either
// decode to an image of sane size or throw edgelm::Error; nothing else may happen
// (run under ASan/UBSan too).
TEST(ImageDecode, CorruptionsNeverCrash) {
  const RgbImage img = synthetic_image(24, 20, 4);
  std::mt19937 rng(1234);
  for (const auto& [name, bytes] : {std::pair{"png", encode_png(img)}, {"jpeg", encode_jpeg(img)},
                                    {"webp", encode_webp_lossless(img)}, {"bmp", encode_bmp(img)}}) {
    const char* format = name;  // (clang 14: a lambda cannot capture a structured binding)
    auto attempt = [&](const std::vector<uint8_t>& data) {
      try {
        const RgbImage out = decode_image(data, format);
        EXPECT_GT(out.width, 0);
        EXPECT_EQ(out.pixels.size(), static_cast<size_t>(out.width) * out.height * 3);
      } catch (const Error&) {
      }
    };
    const size_t step = std::max<size_t>(1, bytes.size() / 200);
    for (size_t n = 0; n < bytes.size(); n += step) attempt(std::vector<uint8_t>(bytes.begin(), bytes.begin() + n));
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<uint8_t> data = bytes;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) data[rng() % data.size()] = static_cast<uint8_t>(rng());
      attempt(data);
    }
  }
}

}  // namespace
}  // namespace edgelm
