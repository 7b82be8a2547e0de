// edgelm info: describe a GGUF file (model or vocab-only) without loading weights.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "gguf/gguf_reader.h"
#include "models/decoder_config.h"
#include "models/gemma4/gemma4_config.h"
#include "runtime/memory_plan.h"
#include "models/gemma4v/gemma4v_config.h"
#include "models/gemma4v/gemma4v_weights.h"
#include "util/error.h"
#include "util/human_units.h"

namespace edgelm::cli {

namespace {

struct InfoArgs {
  std::string model;
  bool no_tensors = false;
};

std::string human_count(uint64_t n) {
  const double v = static_cast<double>(n);
  if (n >= 1000000000ull) return fmt::format("{:.2f} G", v / 1e9);
  if (n >= 1000000ull) return fmt::format("{:.2f} M", v / 1e6);
  if (n >= 1000ull) return fmt::format("{:.1f} K", v / 1e3);
  return fmt::format("{}", n);
}

void print_tokenizer(const GgufFile& f) {
  if (!f.has("tokenizer.ggml.model")) {
    fmt::print("tokenizer:     none\n");
    return;
  }
  std::string line = fmt::format("{}", printable(f.get_string("tokenizer.ggml.model")));
  if (f.has("tokenizer.ggml.pre")) line += fmt::format(" (pre-tokenizer {})", printable(f.get_string("tokenizer.ggml.pre")));
  const std::vector<std::string_view>* tokens = nullptr;
  if (f.has("tokenizer.ggml.tokens")) {
    tokens = &f.get_string_array("tokenizer.ggml.tokens");
    line += fmt::format(", {} tokens", tokens->size());
  }
  if (const Value* merges = f.find("tokenizer.ggml.merges"); merges && merges->is_array()) {
    line += fmt::format(", {} merges", merges->count);
  }
  fmt::print("tokenizer:     {}\n", line);
  for (const char* special : {"bos", "eos", "eot", "unknown", "padding"}) {
    const std::string key = fmt::format("tokenizer.ggml.{}_token_id", special);
    if (!f.has(key)) continue;
    const uint32_t id = f.get_u32(key);
    std::string text = tokens && id < tokens->size() ? printable((*tokens)[id]) : "(out of range)";
    fmt::print("  {:<8} {} '{}'\n", special, id, text);
  }
  if (f.has("tokenizer.ggml.add_bos_token")) {
    fmt::print("  add_bos  {}\n", f.get_bool("tokenizer.ggml.add_bos_token") ? "yes" : "no");
  }
  if (f.has("tokenizer.chat_template")) {
    fmt::print("  chat template: yes ({} bytes)\n", f.get_string("tokenizer.chat_template").size());
  } else {
    fmt::print("  chat template: none\n");
  }
}

void print_gemma4_summary(const GgufFile& f) {
  try {
    const Gemma4Config c = Gemma4Config::from_gguf(f);
    const auto n_sliding = static_cast<uint32_t>(std::count(c.is_sliding.begin(), c.is_sliding.end(), true));
    fmt::print("model:         {} layers ({} sliding, {} full), d_model {}, vocab {}\n", c.n_layers, n_sliding,
               c.n_layers - n_sliding, c.d_model, c.n_vocab);
    fmt::print("  attention:   {} heads, head dim {} full / {} sliding, window {}, {} layers own KV ({} share)\n",
               c.n_head[0], c.head_dim_full, c.head_dim_swa, c.sliding_window, c.first_shared_layer(),
               c.shared_kv_layers);
    fmt::print("  rope:        base {:g} full / {:g} sliding; per-layer embedding width {}; softcap {:g}\n",
               c.rope_base_full, c.rope_base_swa, c.per_layer_dim, c.final_logit_softcap);
    fmt::print("  context:     {} tokens\n", c.context_length);
  } catch (const Error& e) {
    std::fprintf(stderr, "warning: not a usable gemma4 model: %s\n", e.what());
  }
}

void print_gemma4v_summary(const GgufFile& f) {
  try {
    const Gemma4vConfig c = Gemma4vConfig::from_gguf(f);
    const Gemma4vWeights w = Gemma4vWeights::load(f, c);
    size_t clamped = 0, matrices = 0;
    auto count = [&](const ClampedMatrix& m) {
      ++matrices;
      clamped += m.clamps_input() || m.clamps_output();
    };
    for (const Gemma4vBlockWeights& b : w.blocks) {
      for (const ClampedMatrix* m : {&b.attn_q, &b.attn_k, &b.attn_v, &b.attn_out, &b.ffn_gate, &b.ffn_up, &b.ffn_down}) {
        count(*m);
      }
    }
    count(w.input_projection);
    fmt::print("vision:        gemma4v encoder, {} blocks, width {}, {} heads of {}, FFN {}, patch {}, {}x{} pooling\n",
               c.n_blocks, c.width, c.n_head, c.head_dim, c.n_ff, c.patch_size, c.pool_kernel, c.pool_kernel);
    fmt::print("  projects to: d_model {} (the text model's width must match)\n", c.projection_dim);
    fmt::print("  images:      {}..{} tokens of {}x{} pixels; position tables of {}; mean [{:g}, {:g}, {:g}], std "
               "[{:g}, {:g}, {:g}]\n",
               c.min_tokens, c.max_tokens, c.token_side(), c.token_side(), w.n_positions, c.image_mean[0],
               c.image_mean[1], c.image_mean[2], c.image_std[0], c.image_std[1], c.image_std[2]);
    fmt::print("  extras:      {} of {} matrices clamped{}{}\n", clamped, matrices,
               w.blocks.front().out_scale.empty() ? "" : ", block output scales",
               w.std_bias.empty() ? "" : ", std_bias/std_scale");
  } catch (const Error& e) {
    std::fprintf(stderr, "warning: not a usable gemma4v mmproj: %s\n", e.what());
  }
}

// "24" or "12..24" (OpenELM's layer-wise scaling).
std::string value_range(const std::vector<uint32_t>& v) {
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return *lo == *hi ? fmt::format("{}", *lo) : fmt::format("{}..{}", *lo, *hi);
}

void print_decoder_summary(const GgufFile& f, const std::string& arch) {
  try {
    const DecoderConfig c = DecoderConfig::from_gguf(f, arch);
    uint64_t kv_bytes = 0;  // f16 K and V of every layer
    for (uint32_t l = 0; l < c.n_layers; ++l) kv_bytes += uint64_t{c.n_head_kv[l]} * c.head_dim * 2 * 2;
    fmt::print("model:         {} layers, d_model {}, vocab {}\n", c.n_layers, c.d_model, c.n_vocab);
    fmt::print("  attention:   {} heads, {} KV heads, head dim {}, scale {:.6g}; FFN {}\n", value_range(c.n_head),
               value_range(c.n_head_kv), c.head_dim, c.kq_scale(), value_range(c.n_ff));
    fmt::print("  rope:        base {:g}, {} dims, {} pairs{}\n", c.rope_base, c.rope_dims,
               arch == "llama" ? "normal" : "NeoX", f.find_tensor("rope_freqs.weight") ? ", rope_freqs factors" : "");
    fmt::print("  context:     {} tokens; KV cache (f16) {} per token\n", c.context_length, human_bytes(kv_bytes));
  } catch (const Error& e) {
    std::fprintf(stderr, "warning: not a usable %s model: %s\n", arch.c_str(), e.what());
  }
}

int run_info(const InfoArgs& a) {
  const GgufFile f = GgufFile::open(a.model);
  const std::string_view arch = f.architecture();
  fmt::print("file:          {} ({}, GGUF v{}, alignment {})\n", f.name(), human_bytes(f.file_size()), f.version(),
             f.alignment());
  fmt::print("architecture:  {}\n", arch.empty() ? "(none)" : printable(arch));
  if (f.has("general.name")) fmt::print("name:          {}\n", printable(f.get_string("general.name")));
  fmt::print("metadata:      {} keys\n", f.metadata().size());

  // Hyper-parameters: the architecture's own keys, plus any general.* keys.
  const std::string prefix = std::string(arch) + ".";
  for (const KeyValue& kv : f.metadata()) {
    const bool show = (!arch.empty() && kv.key.starts_with(prefix)) ||
                      (kv.key.starts_with("general.") && kv.key != "general.name");
    if (show) fmt::print("  {:<44} {}\n", printable(kv.key), kv.value.to_display());
  }
  print_tokenizer(f);
  if (arch == "gemma4" && !f.tensors().empty()) print_gemma4_summary(f);
  if (is_mmproj_file(f)) print_gemma4v_summary(f);
  if ((arch == "llama" || arch == "openelm") && !f.tensors().empty()) print_decoder_summary(f, std::string(arch));

  // Tensors.
  std::map<std::string, uint64_t> bytes_by_type;
  uint64_t params = 0;
  for (const TensorInfo& t : f.tensors()) {
    bytes_by_type[type_name(t.type)] += t.n_bytes;
    params += t.n_elements;
  }
  fmt::print("tensors:       {}, {} parameters, {}\n", f.tensors().size(), human_count(params),
             human_bytes(f.total_tensor_bytes()));
  for (const auto& [type, bytes] : bytes_by_type) fmt::print("  {:<8} {}\n", type, human_bytes(bytes));
  if (!a.no_tensors && !f.tensors().empty()) {
    fmt::print("  {:<40} {:<8} {:<22} {:>12}\n", "name", "type", "shape", "bytes");
    for (const TensorInfo& t : f.tensors()) {
      fmt::print("  {:<40} {:<8} {:<22} {:>12}\n", printable(t.name), type_name(t.type), t.shape_string(), t.n_bytes);
    }
  }
  // Memory: weights are mapped, not copied. Tables read one row per token (the
  // per-layer embedding table) stay out of resident memory.
  const WeightsMemory m = plan_weights_memory(f);
  fmt::print("memory:        weights {} mapped; about {} resident when running", human_bytes(m.mapped),
             human_bytes(m.resident));
  if (m.row_lookup) fmt::print(" ({} of embedding tables are read one row per token)", human_bytes(m.row_lookup));
  fmt::print("\n");
  if (arch == "gemma4" && !f.tensors().empty()) fmt::print("               (KV cache and scratch: edgelm mem -m FILE --ctx N)\n");
  return 0;
}

}  // namespace

Command add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* sub = app.add_subcommand(
      "info",
      "Describe a GGUF file: architecture, hyper-parameters, tokenizer, tensor table, sizes and the memory "
      "the weights need. Works on vocab-only files. Reads only the header; weights are not loaded.");
  sub->add_option("model", args->model, "GGUF file")->required();
  sub->add_flag("--no-tensors", args->no_tensors, "Leave out the per-tensor table");
  return {sub, [args] { return run_info(*args); }};
}

}  // namespace edgelm::cli
