#include "models/gemma4/gemma4_config.h"

#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "util/error.h"

namespace edgelm {
namespace {
constexpr const char* kArch = "gemma4";
std::string key(const char* suffix) { return std::string(kArch) + "." + suffix; }

// True when every entry is the same, so the key can be written as one scalar.
bool uniform(const std::vector<uint32_t>& v) {
  for (uint32_t x : v) {
    if (x != v.front()) return false;
  }
  return true;
}
}  // namespace

uint32_t Gemma4Config::kv_source_layer(uint32_t layer) const {
  if (owns_kv(layer)) return layer;
  const uint32_t s = first_shared_layer();
  return is_sliding[layer] ? s - 2 : s - 1;
}

Gemma4Config Gemma4Config::from_gguf(const GgufFile& f) {
  const std::string_view arch = f.architecture();
  if (arch != kArch) {
    fail("{}: architecture is '{}', expected '{}'", f.name(), arch.empty() ? "(none)" : std::string(arch), kArch);
  }
  Gemma4Config c;
  c.n_layers = f.get_u32(key("block_count"));
  if (c.n_layers == 0 || c.n_layers > 512) fail("{}: key 'gemma4.block_count' is {}, out of range", f.name(), c.n_layers);
  c.d_model = f.get_u32(key("embedding_length"));
  c.context_length = f.get_u32(key("context_length"));
  c.n_ff = f.get_u32_per_layer(key("feed_forward_length"), c.n_layers);
  c.n_head = f.get_u32_per_layer(key("attention.head_count"), c.n_layers);
  c.n_head_kv = f.get_u32_per_layer_opt(key("attention.head_count_kv"), c.n_layers).value_or(c.n_head);
  c.is_sliding = f.get_bool_array(key("attention.sliding_window_pattern"));
  if (c.is_sliding.size() != c.n_layers) {
    fail("{}: key 'gemma4.attention.sliding_window_pattern' has {} entries but the model has {} layers", f.name(),
         c.is_sliding.size(), c.n_layers);
  }
  c.head_dim_full = f.get_u32(key("attention.key_length"));
  c.head_dim_swa = f.get_u32(key("attention.key_length_swa"));
  if (f.get_u32_or(key("attention.value_length"), c.head_dim_full) != c.head_dim_full) {
    fail("{}: key 'gemma4.attention.value_length' differs from key_length (Gemma 4 requires them equal)", f.name());
  }
  if (f.get_u32_or(key("attention.value_length_swa"), c.head_dim_swa) != c.head_dim_swa) {
    fail("{}: key 'gemma4.attention.value_length_swa' differs from key_length_swa", f.name());
  }
  c.rope_dims_full = f.get_u32_or(key("rope.dimension_count"), c.head_dim_full);
  c.rope_dims_swa = f.get_u32_or(key("rope.dimension_count_swa"), c.rope_dims_full);
  c.rope_base_full = f.get_f32_or(key("rope.freq_base"), 10000.0f);
  c.rope_base_swa = f.get_f32_or(key("rope.freq_base_swa"), c.rope_base_full);
  c.sliding_window = f.get_u32(key("attention.sliding_window"));
  c.shared_kv_layers = f.get_u32_or(key("attention.shared_kv_layers"), 0);
  c.rms_eps = f.get_f32(key("attention.layer_norm_rms_epsilon"));
  c.final_logit_softcap = f.get_f32_or(key("final_logit_softcapping"), 0.0f);
  c.per_layer_dim = f.get_u32_or(key("embedding_length_per_layer_input"), 0);
  if (const TensorInfo* emb = f.find_tensor("token_embd.weight")) {
    c.n_vocab = static_cast<uint32_t>(emb->ne[1]);
  } else if (f.has("tokenizer.ggml.tokens")) {
    c.n_vocab = static_cast<uint32_t>(f.get_string_array("tokenizer.ggml.tokens").size());
  }
  c.validate(f.name());
  return c;
}

void Gemma4Config::validate(const std::string& where) const {
  auto bad = [&](const char* k, auto value, const char* why) {
    fail("{}: key 'gemma4.{}' is {}: {}", where, k, value, why);
  };
  if (n_layers == 0) bad("block_count", n_layers, "must be positive");
  if (d_model == 0 || d_model > (1u << 16)) bad("embedding_length", d_model, "out of range");
  if (n_ff.size() != n_layers || n_head.size() != n_layers || n_head_kv.size() != n_layers ||
      is_sliding.size() != n_layers) {
    fail("{}: per-layer hyper-parameters do not have {} entries", where, n_layers);
  }
  for (uint32_t l = 0; l < n_layers; ++l) {
    if (n_ff[l] == 0) fail("{}: key 'gemma4.feed_forward_length' is 0 for layer {}", where, l);
    if (n_head[l] == 0 || n_head[l] > 1024) fail("{}: key 'gemma4.attention.head_count' is {} for layer {}", where, n_head[l], l);
    if (n_head_kv[l] == 0 || n_head[l] % n_head_kv[l] != 0) {
      fail("{}: key 'gemma4.attention.head_count_kv' is {} for layer {}, which does not divide head_count {}", where,
           n_head_kv[l], l, n_head[l]);
    }
  }
  if (head_dim_full == 0 || head_dim_full % 2 != 0) bad("attention.key_length", head_dim_full, "must be positive and even");
  if (head_dim_swa == 0 || head_dim_swa % 2 != 0) bad("attention.key_length_swa", head_dim_swa, "must be positive and even");
  if (rope_dims_full > head_dim_full || rope_dims_full % 2 != 0) bad("rope.dimension_count", rope_dims_full, "must be even and at most key_length");
  if (rope_dims_swa > head_dim_swa || rope_dims_swa % 2 != 0) bad("rope.dimension_count_swa", rope_dims_swa, "must be even and at most key_length_swa");
  if (sliding_window == 0) bad("attention.sliding_window", sliding_window, "must be positive");
  if (!(rms_eps > 0.0f)) bad("attention.layer_norm_rms_epsilon", rms_eps, "must be positive");
  if (final_logit_softcap < 0.0f) bad("final_logit_softcapping", final_logit_softcap, "must not be negative");
  if (context_length == 0) bad("context_length", context_length, "must be positive");
  if (shared_kv_layers >= n_layers) bad("attention.shared_kv_layers", shared_kv_layers, "must leave at least one layer owning KV");
  if (shared_kv_layers > 0) {
    // KV-shared layers read layer S-2 (sliding) or S-1 (full); the file must have
    // exactly that shape or the sharing rule would attend over the wrong cache.
    const uint32_t s = first_shared_layer();
    if (s < 2 || !is_sliding[s - 2] || is_sliding[s - 1]) {
      fail("{}: KV sharing needs layer {} to be sliding and layer {} full (the last two layers that own KV), but the "
           "sliding_window_pattern says otherwise",
           where, s >= 2 ? s - 2 : 0, s - 1);
    }
    for (uint32_t l = s; l < n_layers; ++l) {
      const uint32_t src = kv_source_layer(l);
      if (n_head_kv[l] != n_head_kv[src]) {
        fail("{}: layer {} shares the KV cache of layer {} but has {} KV heads instead of {}", where, l, src,
             n_head_kv[l], n_head_kv[src]);
      }
    }
  }
}

void Gemma4Config::write_gguf(GgufWriter& w) const {
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
  w.add_f32(key("attention.layer_norm_rms_epsilon"), rms_eps);
  w.add_u32(key("attention.key_length"), head_dim_full);
  w.add_u32(key("attention.value_length"), head_dim_full);
  w.add_u32(key("attention.key_length_swa"), head_dim_swa);
  w.add_u32(key("attention.value_length_swa"), head_dim_swa);
  w.add_f32(key("rope.freq_base"), rope_base_full);
  w.add_f32(key("rope.freq_base_swa"), rope_base_swa);
  w.add_u32(key("rope.dimension_count"), rope_dims_full);
  w.add_u32(key("rope.dimension_count_swa"), rope_dims_swa);
  w.add_u32(key("attention.sliding_window"), sliding_window);
  w.add_bool_array(key("attention.sliding_window_pattern"), is_sliding);
  w.add_u32(key("attention.shared_kv_layers"), shared_kv_layers);
  w.add_u32(key("embedding_length_per_layer_input"), per_layer_dim);
  if (final_logit_softcap > 0.0f) w.add_f32(key("final_logit_softcapping"), final_logit_softcap);
}

}  // namespace edgelm
