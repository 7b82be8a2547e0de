#pragma once
// Hyper-parameters of a plain decoder-only transformer of the Llama family, as GGUF
// stores them under "<arch>." (llama, openelm). Head counts and FFN widths are per
// layer: OpenELM scales them layer by layer, Llama's are uniform (one scalar key).
// Filled from a file (from_gguf) or a synth preset, and checked by validate() so the
// forward pass can trust every field.
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/attention.h"

namespace edgelm {

class GgufFile;
class GgufWriter;

struct DecoderConfig {
  std::string arch;                   // the key prefix: "llama", "openelm"
  uint32_t n_layers = 0;              // L
  uint32_t d_model = 0;               // d
  uint32_t n_vocab = 0;               // V (rows of token_embd)
  uint32_t context_length = 0;
  std::vector<uint32_t> n_head;       // H per layer
  std::vector<uint32_t> n_head_kv;    // KV per layer (grouped-query attention)
  std::vector<uint32_t> n_ff;         // F per layer
  uint32_t head_dim = 0;              // hd = key_length = value_length
  uint32_t rope_dims = 0;             // rotated dimensions of each head (<= hd)
  float rope_base = 10000.0f;
  float rms_eps = 1e-5f;
  float attention_scale = 0.0f;       // q·k scale; 0 = 1/sqrt(hd)

  float kq_scale() const;
  // Heads, head size and scale of layer l's attention (no window: every position).
  AttentionShape attention_shape(uint32_t layer) const;
  // Reads every key (scalar or per-layer array forms) and validates; errors name the key.
  static DecoderConfig from_gguf(const GgufFile& file, const std::string& arch);
  // Throws edgelm::Error naming the inconsistent field; `where` prefixes messages.
  void validate(const std::string& where) const;
  // Writes the <arch>.* keys (used by synth).
  void write_gguf(GgufWriter& writer) const;
};

}  // namespace edgelm
