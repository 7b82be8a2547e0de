#pragma once
// Resampling as Pillow does it (and so llama.cpp's mtmd, whose image preprocessing
// this must match to the bit): separable, horizontal pass then vertical, each output
// pixel a normalised filter window over the input (widened by the scale when
// shrinking), weights in 22-bit fixed point, results rounded and clamped to 8 bits.
#include <cstdint>

#include "image/rgb_image.h"

namespace edgelm {

// Bicubic (Keys kernel, a = -0.5) resize to width x height (both positive). A pass
// whose size does not change is skipped; an unchanged image is copied.
RgbImage resize_bicubic(const RgbImage& src, int width, int height);

// Fits the image into width x height keeping its aspect ratio (scale = the smaller of
// the two side ratios, in float; sides rounded up and capped at the target), centres
// it and fills the rest with `pad` (llama.cpp's img_tool::resize with PAD_CEIL, its
// default). An image already of that size is copied.
RgbImage resize_bicubic_padded(const RgbImage& src, int width, int height, const uint8_t pad[3]);

}  // namespace edgelm
