#pragma once
// Typed views of a Gemma 4 GGUF's tensors (spec §2). Matrices stay in the mapping;
// only the small vectors (norm weights, rope_freqs, output scales) are copied to f32.
// Loading checks every tensor's presence and shape and names the offender.
#include <vector>

#include "kernels/matmul.h"
#include "models/gemma4/gemma4_config.h"

namespace edgelm {

class GgufFile;

struct Gemma4LayerWeights {
  std::vector<float> attn_norm;            // [d]
  WeightMatrix attn_q;                     // [d, H·hd]
  WeightMatrix attn_k, attn_v;             // [d, KV·hd]; absent on KV-shared layers, attn_v optional
  std::vector<float> attn_q_norm;          // [hd]
  std::vector<float> attn_k_norm;          // [hd] (KV-owning layers)
  WeightMatrix attn_output;                // [H·hd, d]
  std::vector<float> post_attention_norm;  // [d]
  std::vector<float> ffn_norm;             // [d]
  WeightMatrix ffn_gate, ffn_up;           // [d, F]
  WeightMatrix ffn_down;                   // [F, d]
  std::vector<float> post_ffw_norm;        // [d]
  WeightMatrix inp_gate;                   // [d, P]
  WeightMatrix proj;                       // [P, d]
  std::vector<float> post_norm;            // [d]
  float output_scale = 1.0f;               // layer_output_scale, 1 when absent
};

struct Gemma4Weights {
  WeightMatrix token_embd;                 // [d, V]
  WeightMatrix output;                     // [d, V] (= token_embd when tied)
  WeightMatrix per_layer_token_embd;       // [P·L, V], read one row per token
  WeightMatrix per_layer_model_proj;       // [d, P·L]
  std::vector<float> per_layer_proj_norm;  // [P]
  std::vector<float> output_norm;          // [d]
  std::vector<float> rope_freqs;           // [hd_full / 2], empty = all 1
  std::vector<Gemma4LayerWeights> layers;

  static Gemma4Weights load(const GgufFile& file, const Gemma4Config& config);
};

}  // namespace edgelm
