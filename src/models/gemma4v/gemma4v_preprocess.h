#pragma once
// Image -> encoder input, exactly as llama.cpp's mtmd prepares it for gemma4v: a target
// size that is a multiple of the token side P·k and gives between min_tokens and
// max_tokens tokens; the image resized (bicubic) to fit inside it with its aspect ratio
// kept and centred on black; then scaled to 0..1 and normalised with the file's
// image_mean / image_std.
#include <cstdint>
#include <vector>

#include "image/rgb_image.h"
#include "models/gemma4v/gemma4v_config.h"

namespace edgelm {

struct ImageSize {
  int width = 0;
  int height = 0;
  bool operator==(const ImageSize&) const = default;
};

// The size a width x height image is resized to (llama.cpp's "smart resize": round each
// side to the token side; shrink to fit max_tokens or grow to reach min_tokens).
ImageSize gemma4v_target_size(ImageSize image, const Gemma4vConfig& config);
// Image tokens of an image of that (already resized) size.
uint32_t gemma4v_token_count(ImageSize resized, const Gemma4vConfig& config);

// The encoder's input: planar channels [3][height][width], normalised.
struct VisionInput {
  int width = 0;
  int height = 0;
  std::vector<float> planar;

  const float* channel(int c) const { return planar.data() + static_cast<size_t>(c) * width * height; }
};

VisionInput gemma4v_preprocess(const RgbImage& image, const Gemma4vConfig& config);

}  // namespace edgelm
