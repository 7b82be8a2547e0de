#include "synth/synth_gemma4v.h"

#include <fmt/format.h>

#include <cmath>

#include "gguf/gguf_writer.h"
#include "synth/synth_gemma4.h"
#include "synth/synth_writer.h"
#include "util/error.h"

namespace edgelm {

std::vector<std::string> gemma4v_preset_names() { return {"tiny", "e2b", "e4b"}; }

Gemma4vConfig gemma4v_preset(const std::string& name) {
  Gemma4vConfig c;
  c.patch_size = 16;
  c.image_size = 224;  // what llama.cpp's converter writes for gemma4v (unused: sizes are dynamic)
  c.pool_kernel = 3;
  c.eps = 1e-6f;
  if (name == "tiny") {
    c.width = 64;
    c.n_blocks = 2;
    c.n_head = 4;
    c.n_ff = 128;
    // Per-channel values so normalisation is exercised channel by channel.
    c.image_mean = {0.48f, 0.46f, 0.41f};
    c.image_std = {0.27f, 0.26f, 0.28f};
  } else if (name == "e2b" || name == "e4b") {
    // Gemma 4 E2B/E4B vision_config (HF config.json): hidden_size 768, intermediate_size
    // 3072, num_hidden_layers 16, num_attention_heads 12, head_dim 64, patch_size 16,
    // pooling_kernel_size 3, position_embedding_size 10240, use_clipped_linears, no
    // standardize. The processor only rescales to 0..1 (the encoder maps x -> 2x - 1).
    c.width = 768;
    c.n_blocks = 16;
    c.n_head = 12;
    c.n_ff = 3072;
  } else {
    std::string names;
    for (const auto& n : gemma4v_preset_names()) names += (names.empty() ? "" : ", ") + n;
    fail("unknown mmproj preset '{}' (available: {})", printable(name), names);
  }
  c.head_dim = c.width / c.n_head;
  c.projection_dim = gemma4_preset(name).config.d_model;
  c.validate("mmproj preset " + name);
  return c;
}

namespace {

constexpr int64_t kPositions = 10240;

std::vector<PlannedTensor> plan_mmproj(const Gemma4vConfig& c, const std::string& preset, TensorType quant) {
  const bool tiny = preset == "tiny";
  const int64_t D = c.width, P = c.patch_size, A = static_cast<int64_t>(c.n_head) * c.head_dim, F = c.n_ff;
  std::vector<PlannedTensor> out;
  auto f32 = [&](std::string name, std::vector<int64_t> dims, Fill fill, float std) {
    out.push_back({std::move(name), std::move(dims), TensorType::F32, fill, std, {}});
  };
  auto constant = [&](std::string name, float v) {
    out.push_back({std::move(name), {1}, TensorType::F32, Fill::kValues, 0.0f, {v}});
  };
  auto norm = [&](std::string name, int64_t n, float scale = 1.0f) { f32(std::move(name), {n}, Fill::kNorm, scale); };
  // A matrix with optional clamp bounds (real files clamp every matrix of the encoder).
  auto matrix = [&](const std::string& name, int64_t cols, int64_t rows, float in_bound, float out_bound) {
    const TensorType t = synth_weight_type(quant, name, -1, c.n_blocks, cols);
    out.push_back({name + ".weight", {cols, rows}, t, Fill::kUniform, 1.0f / std::sqrt(static_cast<float>(cols)), {}});
    if (in_bound > 0.0f) {
      constant(name + ".input_min", -in_bound);
      constant(name + ".input_max", in_bound);
    }
    if (out_bound > 0.0f) {
      constant(name + ".output_min", -out_bound);
      constant(name + ".output_max", out_bound);
    }
  };
  // Real-model clamps are wide (they rarely bite); tiny's are tight on a few matrices so
  // that the clamping visibly changes the result.
  const float wide = tiny ? 0.0f : 12.0f;

  const TensorType patch_type = quant == TensorType::F16 ? TensorType::F16 : TensorType::F32;
  out.push_back({"v.patch_embd.weight", {P, P, 3, D}, patch_type, Fill::kUniform,
                 1.0f / std::sqrt(static_cast<float>(P * P * 3)), {}});
  f32("v.position_embd.weight", {D, kPositions, 2}, Fill::kUniform, 0.5f);
  if (tiny) {
    f32("v.std_bias", {D}, Fill::kUniform, 0.1f);
    norm("v.std_scale", D);
  }
  // q·k of std ~1.4 with the attention scale of 1: neither uniform nor one-hot.
  const float qk_norm = 1.2f / std::pow(static_cast<float>(c.head_dim), 0.25f);
  for (uint32_t l = 0; l < c.n_blocks; ++l) {
    const std::string b = fmt::format("v.blk.{}.", l);
    const bool first = l == 0, last = l + 1 == c.n_blocks;
    norm(b + "ln1.weight", D);
    matrix(b + "attn_q", D, A, tiny && first ? 1.5f : wide, wide);
    matrix(b + "attn_k", D, A, wide, tiny && first ? 1.0f : wide);
    matrix(b + "attn_v", D, A, wide, wide);
    norm(b + "attn_q_norm.weight", c.head_dim, qk_norm);
    norm(b + "attn_k_norm.weight", c.head_dim, qk_norm);
    matrix(b + "attn_out", A, D, wide, wide);
    norm(b + "attn_post_norm.weight", D);
    norm(b + "ln2.weight", D);
    matrix(b + "ffn_gate", D, F, wide, wide);
    matrix(b + "ffn_up", D, F, wide, wide);
    matrix(b + "ffn_down", F, D, tiny && last ? 2.0f : wide, tiny && last ? 0.8f : wide);
    norm(b + "ffn_post_norm.weight", D);
    f32(b + "out_scale.weight", {1}, Fill::kScalar, 0.0f);
  }
  matrix("mm.input_projection", D, c.projection_dim, wide, tiny ? 2.0f : wide);
  return out;
}

}  // namespace

MmprojSynthReport synth_gemma4v(const MmprojSynthOptions& o) {
  if (!type_traits(o.quant).can_quantize) {
    fail("cannot write tensors of type '{}' (supported: {})", type_name(o.quant), quantizable_type_names());
  }
  const Gemma4vConfig config = gemma4v_preset(o.preset);
  const std::vector<PlannedTensor> plan = plan_mmproj(config, o.preset, o.quant);
  GgufWriter w(o.out_path);
  w.add_string("general.architecture", "clip");
  w.add_string("general.type", "mmproj");
  w.add_string("general.name", "edgelm synthetic gemma4v " + o.preset);
  w.add_string("general.description",
               fmt::format("Random vision-encoder weights written by edgelm synth (preset {}, seed {}); not a trained "
                           "model.",
                           o.preset, o.seed));
  w.add_u32("general.file_type", llama_file_type(o.quant));
  config.write_gguf(w);
  write_planned_tensors(w, plan, o.seed, o.threads, o.progress);
  w.finish();
  return {w.bytes_written(), plan.size()};
}

}  // namespace edgelm
