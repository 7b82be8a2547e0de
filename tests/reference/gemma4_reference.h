#pragma once
// Reference Gemma 4 forward pass (test-only): slow, f32 storage with double
// accumulation, written straight from ../shared/spec/gemma4.md §3-6. It is the oracle
// the optimized engine is compared against, op by op and end to end, so it favours
// being obviously correct over being fast: every weight is dequantized to f32 up front
// (except the token tables, whose rows are dequantized on demand), and every forward()
// recomputes attention over all previous positions with no cache.
#include <cstdint>
#include <vector>

#include "gguf/gguf_reader.h"
#include "models/gemma4/gemma4_config.h"

namespace edgelm::reference {

// Intermediate values for the LAST position of a forward() call.
struct ReferenceTrace {
  std::vector<float> embedding;                      // x after the sqrt(d) scale, [d]
  std::vector<std::vector<float>> per_layer_input;   // ple[l], [L][P] (empty when P = 0)
  std::vector<std::vector<float>> layer_output;      // x after each layer, [L][d]
  std::vector<float> final_norm;                     // rms(x, output_norm), [d]
};

class Gemma4Reference {
 public:
  // Validates via Gemma4Config::from_gguf and checks every tensor's shape; throws
  // edgelm::Error naming the tensor at fault. `file` must outlive this object (rows of
  // the token tables are read from its mapping on demand).
  explicit Gemma4Reference(const GgufFile& file);

  const Gemma4Config& config() const { return config_; }

  // Logits for every position of `tokens` (positions 0..n-1), recomputing attention
  // over all previous positions. Returns [n][n_vocab]. Throws edgelm::Error for a
  // token id outside [0, n_vocab).
  std::vector<std::vector<float>> forward(const std::vector<int32_t>& tokens, ReferenceTrace* trace = nullptr) const;

  // --- building blocks (public so op-level tests can compare against them) --------
  // out = x / sqrt(mean(x^2) + eps) * w  (w == nullptr: no weight). out may alias x.
  static void rms_norm(const float* x, const float* w, int n, float eps, float* out);
  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  static float gelu_tanh(float x);
  // NeoX RoPE on v[0 .. n_dims_rot): for j < n/2 the pair (v_j, v_{j+n/2}) is rotated by
  // theta_j = pos * base^(-2j/n) / f_j (f_j = 1 when freq_factors is null). Dims at and
  // beyond n_dims_rot are left as they are.
  static void rope_neox(float* v, int n_dims_rot, int pos, float base, const float* freq_factors);
  // c * tanh(x / c); c <= 0 means no capping (returns x).
  static float softcap(float x, float c);
  // Spec §5: key position t is visible from query position p when t <= p and, on a
  // sliding layer, p - t < window.
  static bool visible(int p, int t, bool sliding, uint32_t window);

 private:
  struct Matrix {  // n_out rows of n_in values: y = W x
    int n_in = 0;
    int n_out = 0;
    std::vector<float> w;
  };
  struct Layer {
    std::vector<float> attn_norm;
    Matrix attn_q, attn_k, attn_v;  // attn_k/attn_v empty on KV-shared layers
    bool has_v = false;             // false: V = the raw K projection
    std::vector<float> attn_q_norm, attn_k_norm;
    Matrix attn_output;
    std::vector<float> post_attention_norm;
    std::vector<float> ffn_norm;
    Matrix ffn_gate, ffn_up, ffn_down;
    std::vector<float> post_ffw_norm;
    Matrix inp_gate, proj;
    std::vector<float> post_norm;
    bool has_output_scale = false;
    float output_scale = 1.0f;
  };

  static void matvec(const Matrix& m, const float* x, float* y);
  // Token-table row `id` dequantized to f32 (rows are read on demand).
  static void table_row(const TensorInfo& t, int64_t id, float* out);

  Gemma4Config config_;
  const TensorInfo* token_embd_ = nullptr;
  const TensorInfo* output_ = nullptr;  // token_embd_ when tied
  const TensorInfo* per_layer_token_embd_ = nullptr;
  Matrix per_layer_model_proj_;
  std::vector<float> per_layer_proj_norm_;
  std::vector<float> output_norm_;
  std::vector<float> rope_freqs_;  // empty: f_j = 1 on full layers too
  std::vector<Layer> layers_;
};

}  // namespace edgelm::reference
