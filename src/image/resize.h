#pragma once
// Resampling as Pillow does it (and so llama.cpp's mtmd, whose image preprocessing
// this must match to the bit): separable, horizontal pass then vertical, each output
// pixel a normalised filter window over the input (widened by the scale when
// shrinking), weights in 22-bit fixed point, results rounded and clamped to 8 bits.
#include "image/rgb_image.h"

namespace edgelm {

// Bicubic (Keys kernel, a = -0.5) resize to width x height (both positive). A pass
// whose size does not change is skipped; an unchanged image is copied.
RgbImage resize_bicubic(const RgbImage& src, int width, int height);

}  // namespace edgelm
