#include "models/gemma4/gemma4_weights.h"

#include <fmt/format.h>

#include <algorithm>

#include "gguf/gguf_reader.h"
#include "models/weight_loader.h"

namespace edgelm {

Gemma4Weights Gemma4Weights::load(const GgufFile& f, const Gemma4Config& c) {
  WeightLoader ld(f);
  Gemma4Weights w;
  const int64_t d = c.d_model, V = c.n_vocab, P = c.per_layer_dim, L = c.n_layers;
  w.token_embd = ld.matrix("token_embd.weight", d, V);
  w.output = ld.optional_matrix("output.weight", d, V);
  if (!w.output.present()) w.output = w.token_embd;  // tied
  if (P > 0) {
    w.per_layer_token_embd = ld.matrix("per_layer_token_embd.weight", P * L, V);
    w.per_layer_model_proj = ld.matrix("per_layer_model_proj.weight", d, P * L);
    w.per_layer_proj_norm = ld.vector("per_layer_proj_norm.weight", P);
  }
  w.output_norm = ld.vector("output_norm.weight", d);
  const bool any_full = std::find(c.is_sliding.begin(), c.is_sliding.end(), false) != c.is_sliding.end();
  if (any_full && ld.find("rope_freqs.weight")) w.rope_freqs = ld.vector("rope_freqs.weight", c.head_dim_full / 2);

  w.layers.resize(c.n_layers);
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    Gemma4LayerWeights& lw = w.layers[l];
    const std::string b = fmt::format("blk.{}.", l);
    const int64_t hd = c.head_dim(l), H = c.n_head[l], KV = c.n_head_kv[l], F = c.n_ff[l];
    lw.attn_norm = ld.vector(b + "attn_norm.weight", d);
    if (ld.find(b + "attn_qkv.weight")) {
      // One fused projection: rows are q, then k, then v.
      const WeightMatrix qkv = ld.matrix(b + "attn_qkv.weight", d, H * hd + 2 * KV * hd);
      lw.attn_q = qkv.slice_rows(0, H * hd);
      lw.attn_k = qkv.slice_rows(H * hd, KV * hd);
      lw.attn_v = qkv.slice_rows(H * hd + KV * hd, KV * hd);
    } else {
      lw.attn_q = ld.matrix(b + "attn_q.weight", d, H * hd);
      if (c.owns_kv(l)) {
        lw.attn_k = ld.matrix(b + "attn_k.weight", d, KV * hd);
        lw.attn_v = ld.optional_matrix(b + "attn_v.weight", d, KV * hd);
      }
    }
    lw.attn_q_norm = ld.vector(b + "attn_q_norm.weight", hd);
    if (c.owns_kv(l)) lw.attn_k_norm = ld.vector(b + "attn_k_norm.weight", hd);
    lw.attn_output = ld.matrix(b + "attn_output.weight", H * hd, d);
    lw.post_attention_norm = ld.vector(b + "post_attention_norm.weight", d);
    lw.ffn_norm = ld.vector(b + "ffn_norm.weight", d);
    lw.ffn_gate = ld.matrix(b + "ffn_gate.weight", d, F);
    lw.ffn_up = ld.matrix(b + "ffn_up.weight", d, F);
    lw.ffn_down = ld.matrix(b + "ffn_down.weight", F, d);
    lw.post_ffw_norm = ld.vector(b + "post_ffw_norm.weight", d);
    if (P > 0) {
      lw.inp_gate = ld.matrix(b + "inp_gate.weight", d, P);
      lw.proj = ld.matrix(b + "proj.weight", P, d);
      lw.post_norm = ld.vector(b + "post_norm.weight", d);
    }
    if (ld.find(b + "layer_output_scale.weight")) lw.output_scale = ld.vector(b + "layer_output_scale.weight", 1)[0];
  }
  return w;
}

}  // namespace edgelm
