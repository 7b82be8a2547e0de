#include "synth/synth_writer.h"

#include <fmt/format.h>

#include <cmath>

#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "quant/quantize.h"
#include "synth/rng.h"
#include "util/error.h"
#include "util/parallel.h"

namespace edgelm {

namespace {

bool is_4bit(TensorType t) { return t == TensorType::Q4_0 || t == TensorType::Q4_K || t == TensorType::IQ4_NL; }

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Q4_K_M gives more bits to the first and last eighth of the layers and every third
// layer in between (llama.cpp's "use_more_bits" rule).
bool use_more_bits(int layer, uint32_t n_layers) {
  const int n = static_cast<int>(n_layers);
  return layer < n / 8 || layer >= 7 * n / 8 || (layer - n / 8) % 3 == 2;
}

}  // namespace

TensorType synth_weight_type(TensorType requested, const std::string& name, int layer, uint32_t n_layers,
                             int64_t row_length) {
  TensorType t = requested;
  const bool embedding = name == "token_embd.weight" || name == "per_layer_token_embd.weight";
  if (embedding && is_4bit(requested)) t = TensorType::Q6_K;
  if (requested == TensorType::Q4_K && layer >= 0 && use_more_bits(layer, n_layers) &&
      (ends_with(name, "attn_v.weight") || ends_with(name, "ffn_down.weight"))) {
    t = TensorType::Q6_K;
  }
  for (TensorType candidate : {t, TensorType::Q8_0, TensorType::F16}) {
    if (row_length % type_traits(candidate).block_size == 0) return candidate;
  }
  return TensorType::F32;
}

uint32_t llama_file_type(TensorType requested) {
  switch (requested) {
    case TensorType::F32: return 0;
    case TensorType::F16: return 1;
    case TensorType::Q4_0: return 2;
    case TensorType::Q8_0: return 7;
    case TensorType::Q4_K: return 15;  // Q4_K_M
    case TensorType::Q5_K: return 17;  // Q5_K_M
    case TensorType::Q6_K: return 18;
    case TensorType::IQ4_NL: return 25;
    case TensorType::BF16: return 32;
    default: fail("no llama.cpp file type for '{}'", type_name(requested));
  }
}

// ---------------------------------------------------------------------------------
// The tensor plan
// ---------------------------------------------------------------------------------

TensorPlan::TensorPlan(const SynthOptions& o, uint32_t n_layers) : quant_(o.quant), n_layers_(n_layers) {
  for (const auto& [pattern, type] : o.tensor_types) {
    if (!type_traits(type).can_quantize) fail("cannot write tensors of type '{}'", type_name(type));
    try {
      overrides_.emplace_back(std::regex(pattern), type);
    } catch (const std::regex_error& e) {
      fail("--tensor-type: bad pattern '{}': {}", printable(pattern), e.what());
    }
  }
}

void TensorPlan::weight(std::string name, std::vector<int64_t> dims, int layer, float std) {
  TensorType t = synth_weight_type(quant_, name, layer, n_layers_, dims[0]);
  for (const auto& [pattern, type] : overrides_) {
    if (std::regex_search(name, pattern)) {
      t = synth_weight_type(type, "", -1, n_layers_, dims[0]);
      break;
    }
  }
  tensors_.push_back({std::move(name), std::move(dims), t, Fill::kUniform, std, {}});
}

void TensorPlan::norm(std::string name, int64_t n, float scale) {
  tensors_.push_back({std::move(name), {n}, TensorType::F32, Fill::kNorm, scale, {}});
}

void TensorPlan::values(std::string name, std::vector<float> values) {
  const auto n = static_cast<int64_t>(values.size());
  tensors_.push_back({std::move(name), {n}, TensorType::F32, Fill::kValues, 0.0f, std::move(values)});
}

void TensorPlan::scalar(std::string name) {
  tensors_.push_back({std::move(name), {1}, TensorType::F32, Fill::kScalar, 0.0f, {}});
}

// ---------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------

namespace {

// Fills `rows` rows of a tensor starting at `first_row` as f32.
void fill_rows(const PlannedTensor& t, uint64_t stream, int64_t first_row, int64_t rows, float* out) {
  const int64_t n = t.dims[0];
  switch (t.fill) {
    case Fill::kUniform:
      fill_uniform(stream, static_cast<uint64_t>(first_row * n), out, static_cast<uint64_t>(rows * n),
                   t.std * std::sqrt(3.0f));
      return;
    case Fill::kNorm:
      fill_uniform(stream, 0, out, static_cast<uint64_t>(n), 0.1f);
      for (int64_t i = 0; i < n; ++i) out[i] = t.std * (1.0f + out[i]);
      return;
    case Fill::kValues:
      for (int64_t i = 0; i < n; ++i) out[i] = t.values[static_cast<size_t>(i)];
      return;
    case Fill::kScalar:
      out[0] = 0.6f + 0.4f * uniform01(stream, 0);
      return;
  }
}

}  // namespace

uint32_t synth_vocab_size(const GgufFile& vocab) {
  if (!vocab.has("tokenizer.ggml.tokens")) fail("{}: no tokenizer.ggml.tokens: not a vocabulary file", vocab.name());
  const size_t n_tokens = vocab.get_string_array("tokenizer.ggml.tokens").size();
  if (n_tokens == 0 || n_tokens > (1u << 24)) fail("{}: vocabulary has {} tokens", vocab.name(), n_tokens);
  return static_cast<uint32_t>(n_tokens);
}

SynthReport write_synthetic_gguf(const SynthOptions& o, const GgufFile& vocab, const SynthFileInfo& info,
                                 const std::vector<PlannedTensor>& plan) {
  GgufWriter w(o.out_path);
  w.add_string("general.architecture", info.arch);
  w.add_string("general.name", "edgelm synthetic " + info.arch + " " + o.preset);
  w.add_string("general.description",
               fmt::format("Random weights written by edgelm synth (preset {}, seed {}); not a trained model.",
                           o.preset, o.seed));
  w.add_u32("general.file_type", llama_file_type(o.quant));
  w.add_u32("general.quantization_version", 2);
  info.write_hparams(w);
  for (const KeyValue& kv : vocab.metadata()) {
    if (kv.key.starts_with("tokenizer.")) w.add_value(kv.key, kv.value);
  }
  if (!info.chat_template.empty() && !vocab.has("tokenizer.chat_template")) {
    w.add_string("tokenizer.chat_template", info.chat_template);
  }

  write_planned_tensors(w, plan, o.seed, o.threads, o.progress);
  w.finish();
  return {w.bytes_written(), plan.size(), synth_vocab_size(vocab)};
}

void write_planned_tensors(GgufWriter& w, const std::vector<PlannedTensor>& plan, uint64_t seed, int threads_wanted,
                           const std::function<void(uint64_t, uint64_t)>& progress) {
  uint64_t total = 0;
  for (const auto& t : plan) {
    w.add_tensor(t.name, t.type, t.dims);
    uint64_t n = 1;
    for (int64_t dim : t.dims) n *= static_cast<uint64_t>(dim);
    total += n / type_traits(t.type).block_size * type_traits(t.type).type_size;
  }
  w.write_header();

  // Rows are generated and quantized in chunks of ~1M values on all threads, then
  // written in order: memory stays at a few chunks whatever the tensor size.
  uint64_t done = 0;
  const int threads = std::max(threads_wanted, 1);
  for (const auto& t : plan) {
    const uint64_t stream = stream_id(seed, t.name);
    const int64_t n = t.dims[0];
    int64_t rows = 1;
    for (size_t k = 1; k < t.dims.size(); ++k) rows *= t.dims[k];
    const uint64_t row_bytes_out = row_bytes(t.type, static_cast<uint64_t>(n));
    const int64_t rows_per_chunk = std::max<int64_t>(1, (1 << 20) / n);
    const int64_t n_chunks = (rows + rows_per_chunk - 1) / rows_per_chunk;
    const int64_t wave = 4 * threads;  // chunks prepared per round
    std::vector<std::vector<uint8_t>> buffers(static_cast<size_t>(wave));
    for (int64_t c0 = 0; c0 < n_chunks; c0 += wave) {
      const int64_t count = std::min(wave, n_chunks - c0);
      parallel_for(static_cast<size_t>(count), threads, [&](size_t k) {
        const int64_t first = (c0 + static_cast<int64_t>(k)) * rows_per_chunk;
        const int64_t nr = std::min(rows_per_chunk, rows - first);
        std::vector<float> f32(static_cast<size_t>(nr * n));
        fill_rows(t, stream, first, nr, f32.data());
        auto& buf = buffers[k];
        buf.resize(static_cast<size_t>(nr) * row_bytes_out);
        for (int64_t r = 0; r < nr; ++r) {
          quantize_row(t.type, f32.data() + r * n, buf.data() + r * row_bytes_out, n);
        }
      });
      for (int64_t k = 0; k < count; ++k) {
        w.write_tensor_data(buffers[k].data(), buffers[k].size());
        done += buffers[k].size();
      }
      if (progress) progress(done, total);
    }
  }
}

}  // namespace edgelm
