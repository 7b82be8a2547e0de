#pragma once
// Gemma 4 ("E" models) hyper-parameters as stored in GGUF (spec: gemma4.md §1).
// One struct, filled either from a file (from_gguf) or from a synth preset, and
// checked by validate() so the forward pass can trust every field.
#include <cstdint>
#include <string>
#include <vector>

namespace edgelm {

class GgufFile;
class GgufWriter;

struct Gemma4Config {
  uint32_t n_layers = 0;              // L
  uint32_t d_model = 0;               // d
  uint32_t n_vocab = 0;               // V (rows of token_embd)
  uint32_t context_length = 0;
  std::vector<uint32_t> n_ff;         // FFN width per layer (double on KV-shared layers in E2B)
  std::vector<uint32_t> n_head;       // query heads per layer
  std::vector<uint32_t> n_head_kv;    // KV heads per layer
  std::vector<bool> is_sliding;       // true = sliding-window layer
  uint32_t head_dim_full = 0;         // key_length (= value_length)
  uint32_t head_dim_swa = 0;          // key_length_swa (= value_length_swa)
  uint32_t rope_dims_full = 0;
  uint32_t rope_dims_swa = 0;
  float rope_base_full = 1e6f;
  float rope_base_swa = 1e4f;
  uint32_t sliding_window = 0;        // W
  uint32_t shared_kv_layers = 0;      // last N layers read another layer's KV
  float rms_eps = 1e-6f;
  float final_logit_softcap = 0.0f;   // 0 = none
  uint32_t per_layer_dim = 0;         // P (0 = no per-layer embeddings)

  // --- derived ---------------------------------------------------------------------
  uint32_t head_dim(uint32_t layer) const { return is_sliding[layer] ? head_dim_swa : head_dim_full; }
  uint32_t rope_dims(uint32_t layer) const { return is_sliding[layer] ? rope_dims_swa : rope_dims_full; }
  // First layer that owns no KV cache (S = L - shared_kv_layers).
  uint32_t first_shared_layer() const { return n_layers - shared_kv_layers; }
  bool owns_kv(uint32_t layer) const { return layer < first_shared_layer(); }
  // The layer whose KV cache `layer` attends over (itself when it owns KV).
  uint32_t kv_source_layer(uint32_t layer) const;

  // Reads every key (scalar or per-layer array forms) and validates; errors name the key.
  static Gemma4Config from_gguf(const GgufFile& file);
  // Throws edgelm::Error naming the inconsistent field; `where` prefixes messages.
  void validate(const std::string& where) const;
  // Writes the gemma4.* keys (used by synth).
  void write_gguf(GgufWriter& writer) const;
};

}  // namespace edgelm
