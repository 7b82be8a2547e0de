#include "models/gemma4v/gemma4v_preprocess.h"

#include <algorithm>
#include <cmath>

#include "image/resize.h"
#include "util/error.h"

namespace edgelm {

ImageSize gemma4v_target_size(ImageSize image, const Gemma4vConfig& c) {
  if (image.width <= 0 || image.height <= 0) fail("image of {}x{} pixels has no area", image.width, image.height);
  // The arithmetic is llama.cpp's, in float where it uses float: a different rounding
  // path would change the size near .5 boundaries, and with it every token.
  const int align = static_cast<int>(c.token_side());
  const int64_t token_area = static_cast<int64_t>(align) * align;
  const int64_t min_pixels = c.min_tokens * token_area, max_pixels = c.max_tokens * token_area;
  const auto f = static_cast<float>(align);
  auto round_to = [&](float x) { return static_cast<int>(std::round(x / f)) * align; };
  auto ceil_to = [&](float x) { return static_cast<int>(std::ceil(x / f)) * align; };
  auto floor_to = [&](float x) { return static_cast<int>(std::floor(x / f)) * align; };
  const int w = image.width, h = image.height;
  int w_bar = std::max(align, round_to(static_cast<float>(w)));
  int h_bar = std::max(align, round_to(static_cast<float>(h)));
  const int64_t area = static_cast<int64_t>(w_bar) * h_bar;
  if (area > max_pixels) {
    const float beta = std::sqrt(static_cast<float>(h) * static_cast<float>(w) / static_cast<float>(max_pixels));
    h_bar = std::max(align, floor_to(static_cast<float>(h) / beta));
    w_bar = std::max(align, floor_to(static_cast<float>(w) / beta));
  } else if (area < min_pixels) {
    const float beta = std::sqrt(static_cast<float>(min_pixels) / (static_cast<float>(h) * static_cast<float>(w)));
    h_bar = ceil_to(static_cast<float>(h) * beta);
    w_bar = ceil_to(static_cast<float>(w) * beta);
  }
  return {w_bar, h_bar};
}

uint32_t gemma4v_token_count(ImageSize resized, const Gemma4vConfig& c) {
  const int side = static_cast<int>(c.token_side());
  return static_cast<uint32_t>((resized.width / side) * (resized.height / side));
}

VisionInput gemma4v_preprocess(const RgbImage& image, const Gemma4vConfig& c) {
  const ImageSize target = gemma4v_target_size({image.width, image.height}, c);
  // Resize targets beyond this are refused by llama.cpp as well (and would be absurd).
  if (target.width > 65536 || target.height > 65536) {
    fail("image of {}x{} pixels would be resized to {}x{}, beyond 65536 per side", image.width, image.height,
         target.width, target.height);
  }
  // Fitted inside the target with black bars where the aspect ratios differ (the target
  // is rounded to whole tokens), as llama.cpp pads.
  static constexpr uint8_t kBlack[3] = {0, 0, 0};
  const RgbImage resized = resize_bicubic_padded(image, target.width, target.height, kBlack);
  VisionInput in;
  in.width = target.width;
  in.height = target.height;
  const size_t plane = static_cast<size_t>(in.width) * in.height;
  in.planar.resize(plane * 3);
  for (size_t i = 0; i < plane; ++i) {
    for (int ch = 0; ch < 3; ++ch) {
      const float v = static_cast<float>(resized.pixels[i * 3 + ch]) / 255.0f;
      in.planar[ch * plane + i] = (v - c.image_mean[ch]) / c.image_std[ch];
    }
  }
  return in;
}

}  // namespace edgelm
