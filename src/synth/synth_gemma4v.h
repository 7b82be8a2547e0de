#pragma once
// Synthetic gemma4v mmproj files (random weights): the keys, tensor names and shapes
// llama.cpp's converter writes for Gemma 4 E2B/E4B vision, plus the optional tensors
// real files carry (matrix clamps, block output scales), so every path of the encoder
// is exercised. Each preset matches the text preset of the same name (projection_dim =
// its d_model).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/gemma4v/gemma4v_config.h"
#include "quant/tensor_type.h"

namespace edgelm {

// "tiny": width 64, 2 blocks, 4 heads, FFN 128, patch 16 (the file shape vision.md's
// llama.cpp check ran), projecting to the tiny text model's 256; it also carries clamps,
// output scales and std_bias/std_scale. "e2b" / "e4b": the real vision tower (width 768,
// 16 blocks, 12 heads of 64, FFN 3072, patch 16, 10240 positions, clamped linears),
// projecting to 1536 / 2560.
std::vector<std::string> gemma4v_preset_names();
Gemma4vConfig gemma4v_preset(const std::string& name);

struct MmprojSynthOptions {
  std::string preset = "tiny";
  TensorType quant = TensorType::F32;  // matrices; norms, positions and scalars stay f32
  uint64_t seed = 42;
  std::string out_path;
  int threads = 1;
  std::function<void(uint64_t, uint64_t)> progress;
};

struct MmprojSynthReport {
  uint64_t file_bytes = 0;
  uint64_t n_tensors = 0;
};

MmprojSynthReport synth_gemma4v(const MmprojSynthOptions& options);

}  // namespace edgelm
