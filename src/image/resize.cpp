#include "image/resize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "util/error.h"

namespace edgelm {
namespace {

constexpr int kFractionBits = 22;  // 32 bits - 8 for the pixel - 2 of headroom for the sums
constexpr double kSupport = 2.0;   // the bicubic kernel is zero beyond distance 2

double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

uint8_t to_u8(int32_t fixed) {
  const int32_t v = fixed >> kFractionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// For each output pixel along one axis: the first input pixel of its window, the
// window's length, and `taps` fixed-point weights (zero past the window).
struct AxisFilter {
  int taps = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;
};

AxisFilter axis_filter(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double widen = scale < 1.0 ? 1.0 : scale;  // upsampling keeps the kernel's own width
  const double support = kSupport * widen;
  const double inv_widen = 1.0 / widen;  // multiplied, not divided: the last bit must match
  AxisFilter f;
  f.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  f.first.resize(static_cast<size_t>(out_size));
  f.count.resize(static_cast<size_t>(out_size));
  f.weights.assign(static_cast<size_t>(out_size) * f.taps, 0);
  std::vector<double> w(static_cast<size_t>(f.taps));
  const double one = std::ldexp(1.0, kFractionBits);
  for (int o = 0; o < out_size; ++o) {
    const double center = (o + 0.5) * scale;
    int lo = static_cast<int>(center - support + 0.5);
    if (lo < 0) lo = 0;
    int hi = static_cast<int>(center + support + 0.5);
    if (hi > in_size) hi = in_size;
    const int n = hi - lo;
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
      w[i] = bicubic((i + lo - center + 0.5) * inv_widen);
      sum += w[i];
    }
    for (int i = 0; i < n; ++i) {
      const double v = sum != 0.0 ? w[i] / sum : w[i];
      // Round half away from zero, then truncate (as Pillow does; not banker's rounding).
      f.weights[static_cast<size_t>(o) * f.taps + i] = static_cast<int32_t>(v * one + (v < 0 ? -0.5 : 0.5));
    }
    f.first[o] = lo;
    f.count[o] = n;
  }
  return f;
}

RgbImage resize_rows(const RgbImage& src, int width) {
  const AxisFilter f = axis_filter(src.width, width);
  RgbImage out{width, src.height, std::vector<uint8_t>(static_cast<size_t>(width) * src.height * 3)};
  for (int y = 0; y < src.height; ++y) {
    const uint8_t* row = src.pixel(0, y);
    uint8_t* dst = out.pixels.data() + static_cast<size_t>(y) * width * 3;
    for (int x = 0; x < width; ++x) {
      const int32_t* k = &f.weights[static_cast<size_t>(x) * f.taps];
      const uint8_t* p = row + static_cast<size_t>(f.first[x]) * 3;
      int32_t r = 1 << (kFractionBits - 1), g = r, b = r;
      for (int i = 0; i < f.count[x]; ++i, p += 3) {
        r += p[0] * k[i];
        g += p[1] * k[i];
        b += p[2] * k[i];
      }
      dst[x * 3 + 0] = to_u8(r);
      dst[x * 3 + 1] = to_u8(g);
      dst[x * 3 + 2] = to_u8(b);
    }
  }
  return out;
}

RgbImage resize_columns(const RgbImage& src, int height) {
  const AxisFilter f = axis_filter(src.height, height);
  const size_t row_len = static_cast<size_t>(src.width) * 3;
  RgbImage out{src.width, height, std::vector<uint8_t>(row_len * height)};
  std::vector<int32_t> acc(row_len);
  for (int y = 0; y < height; ++y) {
    std::fill(acc.begin(), acc.end(), 1 << (kFractionBits - 1));
    const int32_t* k = &f.weights[static_cast<size_t>(y) * f.taps];
    for (int i = 0; i < f.count[y]; ++i) {
      const uint8_t* row = src.pixels.data() + static_cast<size_t>(f.first[y] + i) * row_len;
      for (size_t e = 0; e < row_len; ++e) acc[e] += row[e] * k[i];
    }
    uint8_t* dst = out.pixels.data() + static_cast<size_t>(y) * row_len;
    for (size_t e = 0; e < row_len; ++e) dst[e] = to_u8(acc[e]);
  }
  return out;
}

}  // namespace

RgbImage resize_bicubic(const RgbImage& src, int width, int height) {
  if (width <= 0 || height <= 0 || src.width <= 0 || src.height <= 0) {
    fail("cannot resize a {}x{} image to {}x{}", src.width, src.height, width, height);
  }
  if (width == src.width && height == src.height) return src;
  if (width == src.width) return resize_columns(src, height);
  RgbImage rows = resize_rows(src, width);
  return height == src.height ? rows : resize_columns(rows, height);
}

RgbImage resize_bicubic_padded(const RgbImage& src, int width, int height, const uint8_t pad[3]) {
  if (width == src.width && height == src.height) return src;
  const float scale = std::min(static_cast<float>(width) / static_cast<float>(src.width),
                               static_cast<float>(height) / static_cast<float>(src.height));
  const int w = std::min(static_cast<int>(std::ceil(static_cast<float>(src.width) * scale)), width);
  const int h = std::min(static_cast<int>(std::ceil(static_cast<float>(src.height) * scale)), height);
  const RgbImage fitted = resize_bicubic(src, std::max(w, 1), std::max(h, 1));
  RgbImage out{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  for (size_t i = 0; i < out.pixels.size(); i += 3) std::copy(pad, pad + 3, out.pixels.begin() + static_cast<std::ptrdiff_t>(i));
  const int ox = (width - fitted.width) / 2, oy = (height - fitted.height) / 2;
  for (int y = 0; y < fitted.height; ++y) {
    std::copy(fitted.pixel(0, y), fitted.pixel(0, y) + static_cast<size_t>(fitted.width) * 3,
              out.pixels.begin() + static_cast<std::ptrdiff_t>((static_cast<size_t>(y + oy) * width + ox) * 3));
  }
  return out;
}

}  // namespace edgelm
