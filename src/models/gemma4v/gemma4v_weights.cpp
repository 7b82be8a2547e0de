#include "models/gemma4v/gemma4v_weights.h"

#include <fmt/format.h>

#include <cmath>

#include "gguf/gguf_reader.h"
#include "models/weight_loader.h"
#include "quant/dequantize.h"
#include "quant/quantize.h"
#include "util/error.h"

namespace edgelm {
namespace {

// "<stem>.weight" -> "<stem>.<suffix>"
std::string sibling(const std::string& weight_name, const char* suffix) {
  return weight_name.substr(0, weight_name.size() - std::string_view(".weight").size()) + "." + suffix;
}

ClampedMatrix clamped(const WeightLoader& ld, const std::string& name, int64_t cols, int64_t rows) {
  ClampedMatrix m;
  m.w = ld.matrix(name, cols, rows);
  auto bound = [&](const char* suffix, float& out) {
    const std::string n = sibling(name, suffix);
    if (!ld.find(n)) return;
    out = ld.vector(n, 1)[0];
    if (std::isnan(out)) fail("{}: tensor '{}' is NaN", ld.file().name(), n);
  };
  bound("input_min", m.in_min);
  bound("input_max", m.in_max);
  bound("output_min", m.out_min);
  bound("output_max", m.out_max);
  if (m.in_min > m.in_max || m.out_min > m.out_max) {
    fail("{}: the clamp bounds of '{}' are empty ([{}, {}] in, [{}, {}] out)", ld.file().name(), name, m.in_min,
         m.in_max, m.out_min, m.out_max);
  }
  return m;
}

}  // namespace

bool ClampedMatrix::clamps_input() const {
  return in_min > -std::numeric_limits<float>::max() || in_max < std::numeric_limits<float>::max();
}
bool ClampedMatrix::clamps_output() const {
  return out_min > -std::numeric_limits<float>::max() || out_max < std::numeric_limits<float>::max();
}

Gemma4vWeights Gemma4vWeights::load(const GgufFile& f, const Gemma4vConfig& c) {
  WeightLoader ld(f);
  Gemma4vWeights w;
  const int64_t D = c.width, P = c.patch_size, A = static_cast<int64_t>(c.n_head) * c.head_dim, F = c.n_ff;
  w.patch_embd = ld.shaped_matrix("v.patch_embd.weight", {P, P, 3, D}, 3);
  if (w.patch_embd.type != TensorType::F16) {
    // ggml_conv_2d: im2col in f16 (f32 for a bf16 kernel), then the kernel converted
    // to the im2col's type for the product.
    const TensorType target = w.patch_embd.type == TensorType::BF16 ? TensorType::F32 : TensorType::F16;
    std::vector<float> row(static_cast<size_t>(w.patch_embd.cols));
    const uint64_t out_row = row_bytes(target, static_cast<uint64_t>(w.patch_embd.cols));
    auto storage = std::make_shared<std::vector<uint8_t>>(out_row * static_cast<uint64_t>(w.patch_embd.rows));
    for (int64_t r = 0; r < w.patch_embd.rows; ++r) {
      dequantize_row(w.patch_embd.type, w.patch_embd.data + static_cast<uint64_t>(r) * w.patch_embd.row_bytes,
                     row.data(), w.patch_embd.cols);
      quantize_row(target, row.data(), storage->data() + static_cast<uint64_t>(r) * out_row, w.patch_embd.cols);
    }
    w.patch_embd.type = target;
    w.patch_embd.data = storage->data();
    w.patch_embd.row_bytes = out_row;
    w.patch_embd_storage = std::move(storage);
  }
  if (ld.find("v.patch_embd.bias")) fail("{}: tensor 'v.patch_embd.bias' is present, but gemma4v has no patch bias", f.name());

  const TensorInfo& pos = f.tensor("v.position_embd.weight");
  if (pos.n_dims != 3 || pos.ne[0] != D || pos.ne[2] != 2 || pos.ne[1] < 1) {
    fail("{}: tensor 'v.position_embd.weight' has shape {}, expected [{}, positions, 2] (x and y tables)", f.name(),
         pos.shape_string(), D);
  }
  w.n_positions = static_cast<uint32_t>(pos.ne[1]);
  w.position_embd = ld.shaped_matrix("v.position_embd.weight", {D, pos.ne[1], 2}, 1);

  if (ld.find("v.std_bias") || ld.find("v.std_scale")) {
    w.std_bias = ld.vector("v.std_bias", D);
    w.std_scale = ld.vector("v.std_scale", D);
  }

  w.blocks.resize(c.n_blocks);
  for (uint32_t l = 0; l < c.n_blocks; ++l) {
    Gemma4vBlockWeights& b = w.blocks[l];
    const std::string p = fmt::format("v.blk.{}.", l);
    if (ld.find(p + "attn_qkv.weight")) fail("{}: tensor '{}attn_qkv.weight': fused QKV is not used by gemma4v", f.name(), p);
    b.ln1 = ld.vector(p + "ln1.weight", D);
    b.attn_q = clamped(ld, p + "attn_q.weight", D, A);
    b.attn_k = clamped(ld, p + "attn_k.weight", D, A);
    b.attn_v = clamped(ld, p + "attn_v.weight", D, A);
    b.attn_q_norm = ld.vector(p + "attn_q_norm.weight", c.head_dim);
    b.attn_k_norm = ld.vector(p + "attn_k_norm.weight", c.head_dim);
    b.attn_out = clamped(ld, p + "attn_out.weight", A, D);
    b.attn_post_norm = ld.vector(p + "attn_post_norm.weight", D);
    b.ln2 = ld.vector(p + "ln2.weight", D);
    b.ffn_gate = clamped(ld, p + "ffn_gate.weight", D, F);
    b.ffn_up = clamped(ld, p + "ffn_up.weight", D, F);
    b.ffn_down = clamped(ld, p + "ffn_down.weight", F, D);
    b.ffn_post_norm = ld.vector(p + "ffn_post_norm.weight", D);
    if (const TensorInfo* s = ld.find(p + "out_scale.weight")) {
      if (s->n_elements != 1 && s->n_elements != static_cast<uint64_t>(D)) {
        fail("{}: tensor '{}out_scale.weight' has shape {}, expected [1] or [{}]", f.name(), p, s->shape_string(), D);
      }
      b.out_scale = ld.to_f32(*s);
    }
    for (const char* bias : {"ln1.bias", "ln2.bias", "attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_out.bias",
                             "ffn_up.bias", "ffn_gate.bias", "ffn_down.bias"}) {
      if (ld.find(p + bias)) fail("{}: tensor '{}{}' is present, but gemma4v layers have no biases", f.name(), p, bias);
    }
  }
  w.input_projection = clamped(ld, "mm.input_projection.weight", D, c.projection_dim);
  return w;
}

}  // namespace edgelm
