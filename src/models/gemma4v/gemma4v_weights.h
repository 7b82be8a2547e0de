#pragma once
// Typed views of a gemma4v mmproj's tensors (spec: vision.md "Checked here"). Matrices
// stay in the mapping; norm weights and the optional scalars are copied to f32.
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "kernels/matmul.h"
#include "models/gemma4v/gemma4v_config.h"

namespace edgelm {

class GgufFile;

// A matrix with the optional clamps of Gemma4ClippableLinear: its input is clamped to
// [in_min, in_max] before the product and the product to [out_min, out_max] (real
// files store the bounds as one-value tensors <name>.input_min etc.; absent = none).
struct ClampedMatrix {
  WeightMatrix w;
  float in_min = -std::numeric_limits<float>::max();
  float in_max = std::numeric_limits<float>::max();
  float out_min = -std::numeric_limits<float>::max();
  float out_max = std::numeric_limits<float>::max();
  bool clamps_input() const;
  bool clamps_output() const;
};

struct Gemma4vBlockWeights {
  std::vector<float> ln1, ln2;                   // [D]
  ClampedMatrix attn_q, attn_k, attn_v;          // [D, H·hd]
  std::vector<float> attn_q_norm, attn_k_norm;   // [hd]
  ClampedMatrix attn_out;                        // [H·hd, D]
  std::vector<float> attn_post_norm;             // [D]
  ClampedMatrix ffn_gate, ffn_up;                // [D, F]
  ClampedMatrix ffn_down;                        // [F, D]
  std::vector<float> ffn_post_norm;              // [D]
  std::vector<float> out_scale;                  // empty, [1] or [D]: multiplies the block's output
};

struct Gemma4vWeights {
  // [P·P·3, D]: one row per output channel, inputs (c, y, x). In f16 (or f32 for a bf16
  // kernel) whatever the file's type, because llama.cpp's convolution (im2col) rounds
  // the pixels to f16 and its matmul then rounds the kernel to match.
  WeightMatrix patch_embd;
  std::shared_ptr<const std::vector<uint8_t>> patch_embd_storage;  // when converted
  WeightMatrix position_embd;       // [D, 2·POS]: rows 0..POS-1 by column, POS..2·POS-1 by row
  uint32_t n_positions = 0;         // POS
  std::vector<float> std_bias, std_scale;  // [D] each, or both empty
  std::vector<Gemma4vBlockWeights> blocks;
  ClampedMatrix input_projection;   // [D, projection_dim]

  static Gemma4vWeights load(const GgufFile& file, const Gemma4vConfig& config);
};

}  // namespace edgelm
