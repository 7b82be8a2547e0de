#pragma once
// Hyper-parameters of a Gemma 4 vision encoder ("mmproj" GGUF: general.architecture
// clip, projector gemma4v; spec: vision.md). Filled from a file or a synth preset and
// checked by validate() so preprocessing and the encoder can trust every field.
#include <array>
#include <cstdint>
#include <string>

namespace edgelm {

class GgufFile;
class GgufWriter;

struct Gemma4vConfig {
  uint32_t width = 0;           // D: clip.vision.embedding_length
  uint32_t n_blocks = 0;        // clip.vision.block_count
  uint32_t n_head = 0;          // clip.vision.attention.head_count
  uint32_t head_dim = 0;        // clip.vision.attention.head_dim, default D / heads
  uint32_t n_ff = 0;            // clip.vision.feed_forward_length
  uint32_t patch_size = 0;      // P: clip.vision.patch_size
  uint32_t image_size = 0;      // clip.vision.image_size (informational; sizes are dynamic)
  uint32_t projection_dim = 0;  // the text model's d_model
  uint32_t pool_kernel = 3;     // k: clip.vision.projector.scale_factor
  float eps = 1e-6f;            // clip.vision.attention.layer_norm_epsilon
  std::array<float, 3> image_mean{0.0f, 0.0f, 0.0f};
  std::array<float, 3> image_std{1.0f, 1.0f, 1.0f};
  // Fixed by the projector type (llama.cpp's clip.cpp), not stored in files.
  float rope_base = 100.0f;     // 2-D RoPE θ base
  uint32_t min_tokens = 70;     // image tokens after pooling: the resize keeps the count
  uint32_t max_tokens = 1120;   // between these

  // Side of the square an image is aligned to: one output token (P·k pixels).
  uint32_t token_side() const { return patch_size * pool_kernel; }

  // Reads and validates an mmproj file; errors name the file and key.
  static Gemma4vConfig from_gguf(const GgufFile& file);
  // Throws edgelm::Error naming the bad field; `where` prefixes messages.
  void validate(const std::string& where) const;
  // Throws edgelm::Error when this encoder cannot feed a text model of width d_model.
  void check_text_model(uint32_t d_model, const std::string& where) const;
  // Writes the clip.* keys (used by synth).
  void write_gguf(GgufWriter& writer) const;
};

// True when a GGUF is an mmproj file (general.architecture = clip).
bool is_mmproj_file(const GgufFile& file);

}  // namespace edgelm
