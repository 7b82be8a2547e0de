#include "synth/synth_decoder.h"

#include <cmath>
#include <numbers>

#include "gguf/gguf_reader.h"
#include "synth/synth_writer.h"
#include "util/error.h"

namespace edgelm {

std::vector<std::string> decoder_preset_names() { return {"llama-tiny", "llama3.2-3b", "openelm-tiny", "openelm-3b"}; }

bool is_decoder_preset(const std::string& name) {
  for (const auto& n : decoder_preset_names()) {
    if (n == name) return true;
  }
  return false;
}

std::vector<float> llama3_rope_factors(uint32_t head_dim, float base, float factor, float low_freq_factor,
                                       float high_freq_factor, float original_context) {
  const double low_freq_wavelen = original_context / low_freq_factor;
  const double high_freq_wavelen = original_context / high_freq_factor;
  std::vector<float> factors;
  for (uint32_t i = 0; i < head_dim; i += 2) {
    // The converter computes the frequencies in f32 (torch), the rest in double.
    const float freq = 1.0f / std::pow(base, static_cast<float>(i) / static_cast<float>(head_dim));
    const double wavelen = 2.0 * std::numbers::pi / freq;
    if (wavelen < high_freq_wavelen) {
      factors.push_back(1.0f);
    } else if (wavelen > low_freq_wavelen) {
      factors.push_back(factor);
    } else {
      const double smooth = (original_context / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor);
      factors.push_back(static_cast<float>(1.0 / ((1.0 - smooth) / factor + smooth)));
    }
  }
  return factors;
}

namespace {

// OpenELM's layer-wise scaling (Hugging Face configuration_openelm.py, which the GGUF
// converter reads): layer i of L gets multipliers spaced linearly between two ends,
// rounded to 2 decimals; widths are rounded to a divisor, never more than 10% down.
uint32_t make_divisible(double v, uint32_t divisor) {
  uint32_t r = std::max(divisor, static_cast<uint32_t>(v + divisor / 2.0) / divisor * divisor);
  if (r < 0.9 * v) r += divisor;
  return r;
}
double layer_multiplier(double first, double last, uint32_t layer, uint32_t n_layers) {
  const double m = first + (last - first) * layer / (n_layers - 1);
  return std::round(m * 100.0) / 100.0;
}

DecoderConfig openelm_3b() {
  DecoderConfig c;
  c.n_layers = 36;
  c.d_model = 3072;
  c.head_dim = 128;
  constexpr uint32_t kGqaGroups = 4;
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    // qkv_multipliers [0.5, 1.0], ffn_multipliers [0.5, 4.0], ffn_dim_divisor 256
    const uint32_t q_dim = make_divisible(c.d_model * layer_multiplier(0.5, 1.0, l, c.n_layers), c.head_dim * kGqaGroups);
    c.n_head.push_back(q_dim / c.head_dim);
    c.n_head_kv.push_back(c.n_head.back() / kGqaGroups);
    c.n_ff.push_back(make_divisible(layer_multiplier(0.5, 4.0, l, c.n_layers) * c.d_model, 256));
  }
  return c;
}

}  // namespace

DecoderPreset decoder_preset(const std::string& name) {
  DecoderPreset p;
  DecoderConfig& c = p.config;
  if (name == "llama-tiny" || name == "llama3.2-3b") {
    if (name == "llama-tiny") {
      // Small, with every feature of the real model: grouped-query attention, whole
      // heads rotated in "normal" pairs, Llama 3 frequency factors that leave some
      // pairs alone, scale others by 32 and interpolate in between. d = 256 and
      // F = 768 keep every matrix K-quant compatible.
      c.n_layers = 4;
      c.d_model = 256;
      c.n_head.assign(c.n_layers, 4);
      c.n_head_kv.assign(c.n_layers, 2);
      c.n_ff.assign(c.n_layers, 768);
      c.head_dim = 64;
    } else {
      c.n_layers = 28;
      c.d_model = 3072;
      c.n_head.assign(c.n_layers, 24);
      c.n_head_kv.assign(c.n_layers, 8);
      c.n_ff.assign(c.n_layers, 8192);
      c.head_dim = 128;
    }
    c.arch = "llama";
    c.rope_dims = c.head_dim;
    c.rope_base = 500000.0f;
    c.rms_eps = 1e-5f;
    c.context_length = 131072;
    // Llama 3.2's rope_scaling: factor 32, low 1, high 4, original context 8192.
    p.rope_freqs = llama3_rope_factors(c.head_dim, c.rope_base, 32.0f, 1.0f, 4.0f, 8192.0f);
    p.chat = true;
    p.vocab_file = "ggml-vocab-llama-bpe.gguf";
  } else if (name == "openelm-tiny" || name == "openelm-3b") {
    if (name == "openelm-tiny") {
      // Layer-wise scaling in small: head counts, KV head counts (GQA groups of 1-3)
      // and FFN widths differ per layer; some attn_output rows (H·hd = 128, 384) are
      // not K-quant blocks, as in real OpenELM files.
      c.n_layers = 4;
      c.d_model = 256;
      c.head_dim = 64;
      c.n_head = {2, 4, 4, 6};
      c.n_head_kv = {1, 1, 2, 2};
      c.n_ff = {256, 512, 768, 1024};
    } else {
      c = openelm_3b();
    }
    c.arch = "openelm";
    c.rope_dims = c.head_dim;
    c.rope_base = 10000.0f;
    c.rms_eps = 1e-6f;
    c.context_length = 2048;
    p.vocab_file = "ggml-vocab-llama-spm.gguf";
  } else {
    std::string names;
    for (const auto& n : decoder_preset_names()) names += (names.empty() ? "" : ", ") + n;
    fail("unknown preset '{}' (available: {})", printable(name), names);
  }
  return p;
}

namespace {

std::vector<PlannedTensor> plan_tensors(const DecoderPreset& preset, const SynthOptions& o) {
  const DecoderConfig& c = preset.config;
  TensorPlan plan(o, c.n_layers);
  const int64_t d = c.d_model, V = c.n_vocab, hd = c.head_dim;
  const bool openelm = c.arch == "openelm";
  const float inv_sqrt_d = 1.0f / std::sqrt(static_cast<float>(d));
  // Token embeddings double as the (tied) output head: std 2/sqrt(d) gives logits of
  // std ~2 on the unit-rms final norm, so distributions are neither flat nor one-hot.
  plan.weight("token_embd.weight", {d, V}, -1, 2.0f * inv_sqrt_d);
  if (!preset.rope_freqs.empty()) plan.values("rope_freqs.weight", preset.rope_freqs);
  plan.norm("output_norm.weight", d);
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    const int li = static_cast<int>(l);
    const int64_t H = c.n_head[l], KV = c.n_head_kv[l], F = c.n_ff[l];
    // Projections of a unit-rms input with std 1/sqrt(d) give q, k of unit rms (and
    // OpenELM's q/k norms make them so): q·k/sqrt(hd) has std ~1, so attention is
    // neither uniform nor a hard argmax.
    plan.norm(b + "attn_norm.weight", d);
    if (openelm) {
      plan.weight(b + "attn_qkv.weight", {d, (H + 2 * KV) * hd}, li, inv_sqrt_d);
      plan.norm(b + "attn_q_norm.weight", hd);
      plan.norm(b + "attn_k_norm.weight", hd);
    } else {
      plan.weight(b + "attn_q.weight", {d, H * hd}, li, inv_sqrt_d);
      plan.weight(b + "attn_k.weight", {d, KV * hd}, li, inv_sqrt_d);
      plan.weight(b + "attn_v.weight", {d, KV * hd}, li, inv_sqrt_d);
    }
    plan.weight(b + "attn_output.weight", {H * hd, d}, li, 1.0f / std::sqrt(static_cast<float>(H * hd)));
    plan.norm(b + "ffn_norm.weight", d);
    plan.weight(b + "ffn_gate.weight", {d, F}, li, inv_sqrt_d);
    plan.weight(b + "ffn_up.weight", {d, F}, li, inv_sqrt_d);
    plan.weight(b + "ffn_down.weight", {F, d}, li, 1.0f / std::sqrt(static_cast<float>(F)));
  }
  return plan.tensors();
}

}  // namespace

SynthReport synth_decoder(const SynthOptions& o) {
  if (!type_traits(o.quant).can_quantize) {
    fail("cannot write tensors of type '{}' (supported: {})", type_name(o.quant), quantizable_type_names());
  }
  DecoderPreset preset = decoder_preset(o.preset);
  DecoderConfig& config = preset.config;
  const GgufFile vocab = GgufFile::open(o.vocab_path);
  config.n_vocab = synth_vocab_size(vocab);
  config.validate("preset " + o.preset);
  const std::vector<PlannedTensor> plan = plan_tensors(preset, o);
  SynthFileInfo info;
  info.arch = config.arch;
  info.write_hparams = [&](GgufWriter& w) { config.write_gguf(w); };
  if (preset.chat) info.chat_template = o.chat_template;
  return write_synthetic_gguf(o, vocab, info, plan);
}

}  // namespace edgelm
