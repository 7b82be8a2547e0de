#pragma once
// The Gemma 4 vision encoder (projector gemma4v; spec: vision.md "What the encoder
// computes"): patch convolution, x/y position tables, transformer blocks with 2-D
// RoPE, k×k average pooling, projection into the text model's embedding space. The
// arithmetic follows llama.cpp's CPU graph (clip.cpp, models/gemma4v.cpp, non-flash
// attention) so that the text model continues from near-identical embeddings.
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_reader.h"
#include "models/gemma4v/gemma4v_config.h"
#include "models/gemma4v/gemma4v_preprocess.h"
#include "models/gemma4v/gemma4v_weights.h"

namespace edgelm {

class ThreadPool;

// Intermediate values of one encode() call, for tests against a reference.
struct Gemma4vTrace {
  std::vector<float> patch_embeddings;              // after the position tables  [n_patches, D]
  std::vector<std::vector<float>> block_outputs;    // after each block          [blocks][n_patches, D]
  std::vector<float> pooled;                        // after pooling and scaling  [n_tokens, D]
};

class Gemma4vEncoder {
 public:
  // Maps and validates an mmproj GGUF (hyper-parameters, every tensor's shape and type).
  static std::unique_ptr<Gemma4vEncoder> open(const std::string& path);
  static std::unique_ptr<Gemma4vEncoder> open(GgufFile file);

  const Gemma4vConfig& config() const { return config_; }
  const Gemma4vWeights& weights() const { return weights_; }
  const GgufFile& file() const { return file_; }

  // The embeddings of a preprocessed image: n_tokens rows of projection_dim values,
  // row-major (token = row·(width/(P·k)) + column). Throws edgelm::Error when the
  // image's patch grid does not fit the encoder (size, position table).
  std::vector<float> encode(const VisionInput& image, ThreadPool& pool, Gemma4vTrace* trace = nullptr) const;

 private:
  Gemma4vEncoder(GgufFile file, Gemma4vConfig config);

  GgufFile file_;
  Gemma4vConfig config_;
  Gemma4vWeights weights_;
};

}  // namespace edgelm
