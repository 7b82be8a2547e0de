#include "models/decoder_config.h"

#include <cmath>

#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "util/error.h"

namespace edgelm {

namespace {
bool uniform(const std::vector<uint32_t>& v) {
  for (uint32_t x : v) {
    if (x != v.front()) return false;
  }
  return true;
}
}  // namespace

float DecoderConfig::kq_scale() const {
  return attention_scale != 0.0f ? attention_scale : 1.0f / std::sqrt(static_cast<float>(head_dim));
}

AttentionShape DecoderConfig::attention_shape(uint32_t layer) const {
  AttentionShape shape;
  shape.n_head = n_head[layer];
  shape.n_head_kv = n_head_kv[layer];
  shape.head_dim = head_dim;
  shape.scale = kq_scale();
  return shape;
}

DecoderConfig DecoderConfig::from_gguf(const GgufFile& f, const std::string& arch) {
  const std::string_view file_arch = f.architecture();
  if (file_arch != arch) {
    fail("{}: architecture is '{}', expected '{}'", f.name(), file_arch.empty() ? "(none)" : std::string(file_arch),
         arch);
  }
  auto key = [&](const char* suffix) { return arch + "." + suffix; };
  DecoderConfig c;
  c.arch = arch;
  c.n_layers = f.get_u32(key("block_count"));
  if (c.n_layers == 0 || c.n_layers > 512) fail("{}: key '{}' is {}, out of range", f.name(), key("block_count"), c.n_layers);
  c.d_model = f.get_u32(key("embedding_length"));
  c.context_length = f.get_u32(key("context_length"));
  c.n_ff = f.get_u32_per_layer(key("feed_forward_length"), c.n_layers);
  c.n_head = f.get_u32_per_layer(key("attention.head_count"), c.n_layers);
  c.n_head_kv = f.get_u32_per_layer_opt(key("attention.head_count_kv"), c.n_layers).value_or(c.n_head);
  // llama.cpp: the head size defaults to d / H (of layer 0), the rotated part to the head.
  c.head_dim = f.get_u32_or(key("attention.key_length"), c.n_head[0] > 0 ? c.d_model / c.n_head[0] : 0);
  if (f.get_u32_or(key("attention.value_length"), c.head_dim) != c.head_dim) {
    fail("{}: key '{}' differs from key_length (edgelm needs them equal)", f.name(), key("attention.value_length"));
  }
  c.rope_dims = f.get_u32_or(key("rope.dimension_count"), c.head_dim);
  c.rope_base = f.get_f32_or(key("rope.freq_base"), 10000.0f);
  c.rms_eps = f.get_f32(key("attention.layer_norm_rms_epsilon"));
  c.attention_scale = f.get_f32_or(key("attention.scale"), 0.0f);
  // Context-extension schemes other than precomputed rope_freqs factors change the
  // angles in ways this implementation does not follow: refuse rather than drift.
  const std::string_view scaling = f.get_string_or(key("rope.scaling.type"), "none");
  const float factor = f.get_f32_or(key("rope.scaling.factor"), 0.0f);
  if (!((scaling == "none" || scaling == "linear") && (factor == 0.0f || factor == 1.0f))) {
    fail("{}: RoPE scaling '{}' with factor {} is not supported (keys '{}', '{}')", f.name(), printable(scaling),
         factor, key("rope.scaling.type"), key("rope.scaling.factor"));
  }
  if (f.get_u32_or(key("expert_count"), 0) > 0) {
    fail("{}: key '{}' is {}: mixture-of-experts models are not supported", f.name(), key("expert_count"),
         f.get_u32(key("expert_count")));
  }
  if (const TensorInfo* emb = f.find_tensor("token_embd.weight")) {
    c.n_vocab = static_cast<uint32_t>(emb->ne[1]);
  } else if (f.has("tokenizer.ggml.tokens")) {
    c.n_vocab = static_cast<uint32_t>(f.get_string_array("tokenizer.ggml.tokens").size());
  }
  c.validate(f.name());
  return c;
}

void DecoderConfig::validate(const std::string& where) const {
  auto bad = [&](const char* k, auto value, const char* why) {
    fail("{}: key '{}.{}' is {}: {}", where, arch, k, value, why);
  };
  if (n_layers == 0) bad("block_count", n_layers, "must be positive");
  if (d_model == 0 || d_model > (1u << 16)) bad("embedding_length", d_model, "out of range");
  if (n_ff.size() != n_layers || n_head.size() != n_layers || n_head_kv.size() != n_layers) {
    fail("{}: per-layer hyper-parameters do not have {} entries", where, n_layers);
  }
  for (uint32_t l = 0; l < n_layers; ++l) {
    if (n_ff[l] == 0 || n_ff[l] > (1u << 20)) fail("{}: key '{}.feed_forward_length' is {} for layer {}", where, arch, n_ff[l], l);
    if (n_head[l] == 0 || n_head[l] > 1024) fail("{}: key '{}.attention.head_count' is {} for layer {}", where, arch, n_head[l], l);
    if (n_head_kv[l] == 0 || n_head[l] % n_head_kv[l] != 0) {
      fail("{}: key '{}.attention.head_count_kv' is {} for layer {}, which does not divide head_count {}", where, arch,
           n_head_kv[l], l, n_head[l]);
    }
  }
  if (head_dim == 0 || head_dim % 2 != 0 || head_dim > 1024) bad("attention.key_length", head_dim, "must be even, 2..1024");
  if (rope_dims == 0 || rope_dims > head_dim || rope_dims % 2 != 0) {
    bad("rope.dimension_count", rope_dims, "must be even and at most key_length");
  }
  if (!(rope_base > 0.0f)) bad("rope.freq_base", rope_base, "must be positive");
  if (!(rms_eps > 0.0f)) bad("attention.layer_norm_rms_epsilon", rms_eps, "must be positive");
  if (!(attention_scale >= 0.0f) || !std::isfinite(attention_scale)) bad("attention.scale", attention_scale, "must not be negative");
  if (context_length == 0) bad("context_length", context_length, "must be positive");
  if (n_vocab == 0) fail("{}: the vocabulary is empty (no token_embd.weight rows)", where);
}

void DecoderConfig::write_gguf(GgufWriter& w) const {
  auto key = [&](const char* suffix) { return arch + "." + suffix; };
  w.add_u32(key("context_length"), context_length);
  w.add_u32(key("embedding_length"), d_model);
  w.add_u32(key("block_count"), n_layers);
  // Per-layer values are written as a scalar when uniform, as converters do.
  auto per_layer = [&](const char* suffix, const std::vector<uint32_t>& values) {
    if (uniform(values)) w.add_u32(key(suffix), values.front());
    else w.add_u32_array(key(suffix), values);
  };
  per_layer("feed_forward_length", n_ff);
  per_layer("attention.head_count", n_head);
  per_layer("attention.head_count_kv", n_head_kv);
  w.add_f32(key("rope.freq_base"), rope_base);
  w.add_f32(key("attention.layer_norm_rms_epsilon"), rms_eps);
  w.add_u32(key("attention.key_length"), head_dim);
  w.add_u32(key("attention.value_length"), head_dim);
  w.add_u32(key("rope.dimension_count"), rope_dims);
  if (attention_scale != 0.0f) w.add_f32(key("attention.scale"), attention_scale);
  if (arch == "llama") w.add_u32(key("vocab_size"), n_vocab);  // Llama's converter records it, OpenELM's not
}

}  // namespace edgelm
