#include "models/gemma4v/gemma4v_config.h"

#include <cmath>
#include <vector>

#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "util/error.h"

namespace edgelm {
namespace {

constexpr const char* kProjector = "gemma4v";

std::array<float, 3> rgb_triple(const GgufFile& f, const char* key) {
  const std::vector<float> v = f.get_f32_array(key);
  if (v.size() != 3) fail("{}: key '{}' has {} values, expected 3 (red, green, blue)", f.name(), key, v.size());
  return {v[0], v[1], v[2]};
}

}  // namespace

bool is_mmproj_file(const GgufFile& file) { return file.architecture() == "clip"; }

Gemma4vConfig Gemma4vConfig::from_gguf(const GgufFile& f) {
  if (!is_mmproj_file(f)) {
    const std::string_view arch = f.architecture();
    fail("{}: architecture is '{}', expected 'clip' (an mmproj file)", f.name(),
         arch.empty() ? "(none)" : printable(arch));
  }
  if (!f.get_bool_or("clip.has_vision_encoder", false)) {
    fail("{}: key 'clip.has_vision_encoder' is missing or false: this mmproj has no vision encoder", f.name());
  }
  // Files with several modalities name the vision projector apart.
  const char* type_key = f.has("clip.vision.projector_type") ? "clip.vision.projector_type" : "clip.projector_type";
  const std::string_view type = f.get_string(type_key);
  if (type != kProjector) {
    fail("{}: key '{}' is '{}'; edgelm runs the '{}' projector (Gemma 4 E2B/E4B vision) only", f.name(), type_key,
         printable(type), kProjector);
  }
  if (!f.get_bool_or("clip.use_gelu", false)) {
    fail("{}: key 'clip.use_gelu' is missing or false, but the gemma4v encoder's FFN is GELU-gated", f.name());
  }
  if (f.get_bool_or("clip.use_silu", false)) fail("{}: key 'clip.use_silu' is set; gemma4v uses GELU", f.name());
  Gemma4vConfig c;
  c.width = f.get_u32("clip.vision.embedding_length");
  c.n_blocks = f.get_u32("clip.vision.block_count");
  c.n_head = f.get_u32("clip.vision.attention.head_count");
  if (c.n_head == 0) fail("{}: key 'clip.vision.attention.head_count' is 0", f.name());
  if (f.get_u32_or("clip.vision.attention.head_count_kv", c.n_head) != c.n_head) {
    fail("{}: key 'clip.vision.attention.head_count_kv' differs from head_count; gemma4v has no grouped-query "
         "attention",
         f.name());
  }
  c.head_dim = f.get_u32_or("clip.vision.attention.head_dim", c.width / c.n_head);
  c.n_ff = f.get_u32("clip.vision.feed_forward_length");
  c.patch_size = f.get_u32("clip.vision.patch_size");
  c.image_size = f.get_u32_or("clip.vision.image_size", 0);
  c.projection_dim = f.get_u32("clip.vision.projection_dim");
  c.pool_kernel = f.get_u32_or("clip.vision.projector.scale_factor", 3);
  c.eps = f.get_f32_or("clip.vision.attention.layer_norm_epsilon", 1e-6f);
  c.image_mean = rgb_triple(f, "clip.vision.image_mean");
  c.image_std = rgb_triple(f, "clip.vision.image_std");
  c.validate(f.name());
  return c;
}

void Gemma4vConfig::validate(const std::string& where) const {
  auto bad = [&](const char* key, auto value, const char* why) {
    fail("{}: key 'clip.vision.{}' is {}: {}", where, key, value, why);
  };
  if (width == 0 || width > (1u << 16)) bad("embedding_length", width, "out of range");
  if (n_blocks == 0 || n_blocks > 1024) bad("block_count", n_blocks, "out of range");
  if (n_head == 0 || n_head > 1024) bad("attention.head_count", n_head, "out of range");
  // 2-D RoPE rotates each half of a head with NeoX pairs: both halves must be even.
  if (head_dim == 0 || head_dim % 4 != 0 || head_dim > 4096) {
    bad("attention.head_dim", head_dim, "must be a positive multiple of 4 (two RoPE halves of pairs)");
  }
  if (n_ff == 0 || n_ff > (1u << 20)) bad("feed_forward_length", n_ff, "out of range");
  if (patch_size == 0 || patch_size > 256) bad("patch_size", patch_size, "out of range (1..256)");
  if (projection_dim == 0 || projection_dim > (1u << 16)) bad("projection_dim", projection_dim, "out of range");
  if (pool_kernel == 0 || pool_kernel > 16) bad("projector.scale_factor", pool_kernel, "out of range (1..16)");
  if (!(eps > 0.0f) || !std::isfinite(eps)) bad("attention.layer_norm_epsilon", eps, "must be positive");
  for (int ch = 0; ch < 3; ++ch) {
    if (!std::isfinite(image_mean[ch])) bad("image_mean", image_mean[ch], "must be finite");
    if (!std::isfinite(image_std[ch]) || image_std[ch] == 0.0f) bad("image_std", image_std[ch], "must be finite and non-zero");
  }
  if (min_tokens == 0 || min_tokens > max_tokens) fail("{}: image token budget {}..{} is empty", where, min_tokens, max_tokens);
}

void Gemma4vConfig::check_text_model(uint32_t d_model, const std::string& where) const {
  if (projection_dim != d_model) {
    fail("{}: the vision projector outputs {}-wide embeddings (clip.vision.projection_dim) but the text model's "
         "d_model is {}: this mmproj belongs to another model",
         where, projection_dim, d_model);
  }
}

void Gemma4vConfig::write_gguf(GgufWriter& w) const {
  w.add_bool("clip.has_vision_encoder", true);
  w.add_string("clip.projector_type", kProjector);
  w.add_u32("clip.vision.embedding_length", width);
  w.add_u32("clip.vision.block_count", n_blocks);
  w.add_u32("clip.vision.attention.head_count", n_head);
  if (head_dim != width / n_head) w.add_u32("clip.vision.attention.head_dim", head_dim);
  w.add_u32("clip.vision.feed_forward_length", n_ff);
  w.add_u32("clip.vision.patch_size", patch_size);
  w.add_u32("clip.vision.image_size", image_size);
  w.add_u32("clip.vision.projection_dim", projection_dim);
  if (pool_kernel != 3) w.add_u32("clip.vision.projector.scale_factor", pool_kernel);
  w.add_f32("clip.vision.attention.layer_norm_epsilon", eps);
  w.add_f32_array("clip.vision.image_mean", image_mean);
  w.add_f32_array("clip.vision.image_std", image_std);
  w.add_bool("clip.use_gelu", true);
}

}  // namespace edgelm
