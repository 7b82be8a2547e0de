#pragma once
// Reference forward pass of the peers, Llama 3.2 and OpenELM (test-only): slow, f32
// storage with double accumulation, written straight from ../shared/spec/peers.md.
// The oracle the optimized models (models/llama, models/openelm) are compared with, op
// by op and end to end, so it favours being obviously correct over being fast: every
// weight is dequantized up front and every forward() recomputes attention over all
// previous positions with no cache. Shares nothing with the engine but the GGUF reader,
// the dequantizers and the config parser.
#include <cstdint>
#include <vector>

#include "gguf/gguf_reader.h"
#include "models/decoder_config.h"
#include "reference/gemma4_reference.h"

namespace edgelm::reference {

class DecoderReference {
 public:
  // `file`: a llama or openelm GGUF (throws edgelm::Error naming a missing tensor).
  explicit DecoderReference(const GgufFile& file);

  const DecoderConfig& config() const { return config_; }

  // Logits for every position of `tokens`: [n][n_vocab]. `trace` gets the last
  // position's embedding, layer outputs and final norm (per_layer_input stays empty).
  std::vector<std::vector<float>> forward(const std::vector<int32_t>& tokens, ReferenceTrace* trace = nullptr) const;

  // "Normal" RoPE: for j < n_dims/2 the adjacent pair (v_2j, v_2j+1) is rotated by
  // theta_j = pos * base^(-2j/n_dims) / f_j (f_j = 1 when freq_factors is null).
  static void rope_normal(float* v, int n_dims, int pos, float base, const float* freq_factors);
  // silu(x) = x / (1 + e^-x)
  static float silu(float x);

 private:
  struct Matrix {  // n_out rows of n_in values: y = W x
    int n_in = 0;
    int n_out = 0;
    std::vector<float> w;
  };
  struct Layer {
    std::vector<float> attn_norm, attn_q_norm, attn_k_norm, ffn_norm;
    Matrix attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down;
  };

  static void matvec(const Matrix& m, const float* x, float* y);

  DecoderConfig config_;
  bool openelm_ = false;
  Matrix token_embd_, output_;
  std::vector<float> output_norm_, rope_freqs_;
  std::vector<Layer> layers_;
};

}  // namespace edgelm::reference
