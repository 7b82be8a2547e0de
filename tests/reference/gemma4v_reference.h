#pragma once
// Reference gemma4v vision encoder (test-only): slow, double precision, written
// straight from ../shared/spec/vision.md ("What the encoder computes") without the
// engine's kernels, layouts or tricks (no matmul(), no f16 GELU table, no chunked
// attention). It is the oracle the optimized encoder is compared against.
#include <cstdint>
#include <string>
#include <vector>

#include "gguf/gguf_reader.h"
#include "models/gemma4v/gemma4v_config.h"

namespace edgelm::reference {

class Gemma4vReference {
 public:
  explicit Gemma4vReference(const GgufFile& file);

  const Gemma4vConfig& config() const { return config_; }

  // `planar`: normalised pixels [3][height][width] (the preprocessing output).
  // Returns [n_tokens][projection_dim], tokens row by row.
  std::vector<std::vector<double>> encode(const std::vector<float>& planar, int width, int height) const;

 private:
  using Vec = std::vector<double>;
  struct Linear {  // y = W x, with optional clamps of its input and output
    int n_in = 0, n_out = 0;
    std::vector<double> w;  // n_out rows of n_in
    double in_lo, in_hi, out_lo, out_hi;
    Vec apply(const Vec& x) const;
  };
  struct Block {
    Vec ln1, ln2, q_norm, k_norm, attn_post_norm, ffn_post_norm, out_scale;
    Linear q, k, v, o, gate, up, down;
  };

  Vec tensor(const std::string& name) const;
  Linear linear(const std::string& stem) const;
  static Vec rms(const Vec& x, const Vec* w, double eps);

  const GgufFile& file_;
  Gemma4vConfig config_;
  Vec patch_embd_;     // [D][3][P][P]
  Vec positions_;      // [2][POS][D]
  int64_t n_positions_ = 0;
  Vec std_bias_, std_scale_;
  std::vector<Block> blocks_;
  Linear projection_;
};

}  // namespace edgelm::reference
