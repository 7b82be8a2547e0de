#include "synth/synth_gemma4.h"

#include <cmath>

#include "gguf/gguf_reader.h"
#include "synth/synth_writer.h"
#include "util/error.h"

namespace edgelm {

// ---------------------------------------------------------------------------------
// Presets
// ---------------------------------------------------------------------------------

std::vector<std::string> gemma4_preset_names() { return {"tiny", "e2b", "e4b"}; }

namespace {

std::vector<bool> pattern_every(uint32_t n_layers, uint32_t period) {
  // Real files: (period-1) sliding layers then one full layer, repeating.
  std::vector<bool> p(n_layers);
  for (uint32_t l = 0; l < n_layers; ++l) p[l] = (l + 1) % period != 0;
  return p;
}

// E2B and E4B share head dims (512 full / 256 sliding, fully rotated), 8 query heads,
// a 512-token window and 256-wide per-layer embeddings; they differ in these numbers.
Gemma4Config real_dimensions(uint32_t n_layers, uint32_t d_model, uint32_t full_every, uint32_t shared_kv_layers,
                             uint32_t n_head_kv, uint32_t n_ff, uint32_t n_ff_shared) {
  Gemma4Config c;
  c.n_layers = n_layers;
  c.d_model = d_model;
  c.is_sliding = pattern_every(n_layers, full_every);
  c.shared_kv_layers = shared_kv_layers;
  c.n_head.assign(n_layers, 8);
  c.n_head_kv.assign(n_layers, n_head_kv);
  c.head_dim_full = 512;
  c.head_dim_swa = 256;
  c.rope_dims_full = 512;
  c.rope_dims_swa = 256;
  c.sliding_window = 512;
  c.per_layer_dim = 256;
  c.n_ff.resize(n_layers);
  for (uint32_t l = 0; l < n_layers; ++l) c.n_ff[l] = l < n_layers - shared_kv_layers ? n_ff : n_ff_shared;
  return c;
}

}  // namespace

Gemma4Preset gemma4_preset(const std::string& name) {
  Gemma4Preset preset;
  Gemma4Config& c = preset.config;
  if (name == "tiny") {
    // Small, but with every feature of the real models: sliding + full layers, a
    // window of 32 so short tests cross it, GQA with different KV head counts per
    // layer type, KV-shared layers of both types, double-wide FFN on shared layers,
    // per-layer embeddings and proportional RoPE. d = 256 keeps most matrices
    // K-quant compatible (rows a multiple of 256).
    c.n_layers = 8;
    c.d_model = 256;
    c.is_sliding = {true, true, false, true, true, false, true, false};
    c.shared_kv_layers = 2;  // layers 6 (sliding -> reads 4) and 7 (full -> reads 5)
    c.n_head.assign(c.n_layers, 4);
    c.n_head_kv.resize(c.n_layers);
    for (uint32_t l = 0; l < c.n_layers; ++l) c.n_head_kv[l] = c.is_sliding[l] ? 2 : 1;
    c.head_dim_full = 128;
    c.head_dim_swa = 64;
    c.rope_dims_full = 128;
    c.rope_dims_swa = 64;
    c.sliding_window = 32;
    c.per_layer_dim = 32;
    c.n_ff.resize(c.n_layers);
    for (uint32_t l = 0; l < c.n_layers; ++l) c.n_ff[l] = l < c.n_layers - c.shared_kv_layers ? 512 : 1024;
    // Real E2B/E4B files carry attn_v everywhere; tiny leaves it out on its first
    // full layer so the "V = raw K projection" path is exercised too.
    preset.layer_without_attn_v = 2;
  } else if (name == "e2b") {
    c = real_dimensions(35, 1536, 5, 20, 1, 6144, 12288);
  } else if (name == "e4b") {
    c = real_dimensions(42, 2560, 6, 18, 2, 10240, 10240);
  } else {
    std::string names;
    for (const auto& n : gemma4_preset_names()) names += (names.empty() ? "" : ", ") + n;
    fail("unknown preset '{}' (available: {})", printable(name), names);
  }
  c.rope_base_full = 1e6f;
  c.rope_base_swa = 1e4f;
  c.rms_eps = 1e-6f;
  c.final_logit_softcap = 30.0f;
  c.context_length = 131072;
  return preset;
}

// ---------------------------------------------------------------------------------
// The tensor plan: names, shapes and how to fill each tensor
// ---------------------------------------------------------------------------------

namespace {

std::vector<PlannedTensor> plan_tensors(const Gemma4Preset& preset, const SynthOptions& o) {
  const Gemma4Config& c = preset.config;
  TensorPlan plan(o, c.n_layers);
  const int64_t d = c.d_model, V = c.n_vocab, P = c.per_layer_dim, L = c.n_layers;
  auto weight = [&](std::string name, std::vector<int64_t> dims, int layer, float std) {
    plan.weight(std::move(name), std::move(dims), layer, std);
  };
  auto norm = [&](std::string name, int64_t n, float scale = 1.0f) { plan.norm(std::move(name), n, scale); };
  const float inv_sqrt_d = 1.0f / std::sqrt(static_cast<float>(d));

  // Token embeddings: rows scaled by sqrt(d) at run time; std 2/sqrt(d) gives the
  // tied output head logits of std ~2, so distributions are neither flat nor one-hot.
  weight("token_embd.weight", {d, V}, -1, 2.0f * inv_sqrt_d);
  if (P > 0) {
    weight("per_layer_token_embd.weight", {P * L, V}, -1, 1.0f / std::sqrt(static_cast<float>(P)));
    weight("per_layer_model_proj.weight", {d, P * L}, -1, inv_sqrt_d);
    norm("per_layer_proj_norm.weight", P);
  }
  norm("output_norm.weight", d);
  // Proportional RoPE on full layers: the first quarter of the pairs rotates, the
  // rest gets a factor of 1e30 (no rotation).
  std::vector<float> rope_freqs(c.head_dim_full / 2);
  for (size_t i = 0; i < rope_freqs.size(); ++i) rope_freqs[i] = i < rope_freqs.size() / 4 ? 1.0f : 1e30f;
  plan.values("rope_freqs.weight", std::move(rope_freqs));

  for (uint32_t l = 0; l < c.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    const int li = static_cast<int>(l);
    const int64_t hd = c.head_dim(l), H = c.n_head[l], KV = c.n_head_kv[l], F = c.n_ff[l];
    // q/k norms scale each head to rms ~ hd^-1/4 * 1.2, so q.k has std ~1.4 with the
    // attention scale of 1.0: attention is neither uniform nor a hard argmax.
    const float qk_norm = 1.2f / std::pow(static_cast<float>(hd), 0.25f);
    norm(b + "attn_norm.weight", d);
    weight(b + "attn_q.weight", {d, H * hd}, li, inv_sqrt_d);
    if (c.owns_kv(l)) {
      weight(b + "attn_k.weight", {d, KV * hd}, li, inv_sqrt_d);
      if (li != preset.layer_without_attn_v) weight(b + "attn_v.weight", {d, KV * hd}, li, inv_sqrt_d);
      norm(b + "attn_k_norm.weight", hd, qk_norm);
    }
    weight(b + "attn_output.weight", {H * hd, d}, li, 1.0f / std::sqrt(static_cast<float>(H * hd)));
    norm(b + "attn_q_norm.weight", hd, qk_norm);
    norm(b + "post_attention_norm.weight", d);
    norm(b + "ffn_norm.weight", d);
    weight(b + "ffn_gate.weight", {d, F}, li, inv_sqrt_d);
    weight(b + "ffn_up.weight", {d, F}, li, inv_sqrt_d);
    weight(b + "ffn_down.weight", {F, d}, li, 1.0f / std::sqrt(static_cast<float>(F)));
    norm(b + "post_ffw_norm.weight", d);
    if (P > 0) {
      weight(b + "inp_gate.weight", {d, P}, li, inv_sqrt_d);
      weight(b + "proj.weight", {P, d}, li, 1.0f / std::sqrt(static_cast<float>(P)));
      norm(b + "post_norm.weight", d);
    }
    plan.scalar(b + "layer_output_scale.weight");
  }
  return plan.tensors();
}

}  // namespace

// ---------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------

SynthReport synth_gemma4(const SynthOptions& o) {
  if (!type_traits(o.quant).can_quantize) {
    fail("cannot write tensors of type '{}' (supported: {})", type_name(o.quant), quantizable_type_names());
  }
  Gemma4Preset preset = gemma4_preset(o.preset);
  Gemma4Config& config = preset.config;
  const GgufFile vocab = GgufFile::open(o.vocab_path);
  config.n_vocab = synth_vocab_size(vocab);
  config.validate("preset " + o.preset);
  const std::vector<PlannedTensor> plan = plan_tensors(preset, o);
  SynthFileInfo info;
  info.arch = "gemma4";
  info.write_hparams = [&](GgufWriter& w) { config.write_gguf(w); };
  return write_synthetic_gguf(o, vocab, info, plan);
}

}  // namespace edgelm
