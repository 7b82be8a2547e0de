// edgelm synth: write a synthetic GGUF of a preset (Gemma 4, Llama 3.2, OpenELM): random
// weights, real vocabulary.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "cli/paths.h"
#include "cli/text_file.h"
#include "quant/tensor_type.h"
#include "synth/synth_decoder.h"
#include "synth/synth_gemma4.h"
#include "synth/synth_gemma4v.h"
#include "util/error.h"

namespace edgelm::cli {

namespace {
struct SynthArgs {
  std::string preset = "tiny";
  std::string quant = "f32";
  std::string vocab;
  std::string chat_template;
  uint64_t seed = 42;
  std::string out;
  std::string mmproj_out;
  int threads = 0;
  std::vector<std::string> tensor_types;
};
}  // namespace

Command add_synth_command(CLI::App& app) {
  auto args = std::make_shared<SynthArgs>();
  CLI::App* sub = app.add_subcommand(
      "synth",
      "Write a synthetic GGUF (Gemma 4, Llama 3.2 or OpenELM): the tensor names, shapes, metadata and type mix "
      "of a real converted model, filled with seeded random weights, with a real vocabulary. Used for tests and "
      "benchmarks (no trained weights are needed).");
  sub->add_option("--preset", args->preset,
                  "Model shape: Gemma 4 tiny (all features, small dims), e2b, e4b; llama-tiny, llama3.2-3b; "
                  "openelm-tiny, openelm-3b")
      ->capture_default_str();
  sub->add_option("--quant", args->quant,
                  "Weight type: " + quantizable_type_names() +
                      ". 4-bit files keep the embedding tables in q6_k; q4_k mixes in q6_k like Q4_K_M")
      ->capture_default_str();
  sub->add_option("--vocab", args->vocab,
                  "GGUF whose tokenizer.* metadata (vocabulary, merges, chat template) is copied "
                  "[default: the preset's real vocabulary in ../shared/testdata/vocab: Gemma 4, Llama 3 "
                  "(llama-bpe) or Llama 2 SentencePiece (llama-spm, OpenELM)]");
  sub->add_option("--chat-template", args->chat_template,
                  "Jinja chat template for chat presets whose vocabulary has none [default: Llama 3.2 Instruct's, "
                  "../shared/testdata/templates]");
  sub->add_option("--seed", args->seed, "Random seed (same seed, same file)")->capture_default_str();
  sub->add_option("-o,--output", args->out, "Output GGUF path (the text model)");
  sub->add_option("--mmproj-out", args->mmproj_out,
                  "Also (or only) write the matching vision encoder (mmproj GGUF, projector gemma4v) of a Gemma 4 "
                  "preset: tiny, or the real E2B/E4B vision dimensions");
  sub->add_option("-t,--threads", args->threads, "Threads [default: all cores]");
  sub->add_option("--tensor-type", args->tensor_types,
                  "REGEX=TYPE: weights whose name matches REGEX get TYPE (repeatable, first match wins), "
                  "e.g. --tensor-type 'ffn_down=q8_0'");

  auto run = [args]() -> int {
    const auto quant = type_from_name(args->quant);
    if (!quant) fail("unknown --quant '{}' (supported: {})", printable(args->quant), quantizable_type_names());
    SynthOptions o;
    o.preset = args->preset;
    o.quant = *quant;
    const bool decoder = is_decoder_preset(o.preset);
    std::vector<std::string> presets = gemma4_preset_names();
    for (const std::string& name : decoder_preset_names()) presets.push_back(name);
    if (std::find(presets.begin(), presets.end(), o.preset) == presets.end()) {
      fail("unknown preset '{}' (available: {})", printable(o.preset), fmt::join(presets, ", "));
    }
    if (args->out.empty() && args->mmproj_out.empty()) fail("give an output: -o FILE and/or --mmproj-out FILE");
    if (decoder && !args->mmproj_out.empty()) fail("--mmproj-out: preset '{}' has no vision encoder", o.preset);
    std::string vocab_file = "ggml-vocab-gemma-4.gguf";
    if (decoder) {
      const DecoderPreset preset = decoder_preset(o.preset);
      vocab_file = preset.vocab_file;
      if (preset.chat) {
        const std::string path = args->chat_template.empty()
                                     ? default_template_path("meta-llama-Llama-3.2-3B-Instruct.jinja", "--chat-template")
                                     : args->chat_template;
        std::optional<std::string> text = read_whole_file(path);
        if (!text) fail("{}: cannot read the chat template", path);
        o.chat_template = std::move(*text);
      }
    }
    if (!args->out.empty()) o.vocab_path = args->vocab.empty() ? default_vocab_path(vocab_file) : args->vocab;
    o.seed = args->seed;
    for (const std::string& spec : args->tensor_types) {
      const size_t eq = spec.rfind('=');
      const auto type = eq == std::string::npos ? std::nullopt : type_from_name(spec.substr(eq + 1));
      if (!type) fail("--tensor-type '{}': expected REGEX=TYPE with TYPE one of {}", printable(spec), quantizable_type_names());
      o.tensor_types.emplace_back(spec.substr(0, eq), *type);
    }
    o.out_path = args->out;
    o.threads = args->threads > 0 ? args->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const bool tty = isatty(STDERR_FILENO) != 0;
    const auto start = std::chrono::steady_clock::now();
    auto last = start;
    o.progress = [&](uint64_t done, uint64_t total) {
      const auto now = std::chrono::steady_clock::now();
      if (done != total && now - last < std::chrono::milliseconds(tty ? 200 : 10000)) return;
      last = now;
      const double secs = std::chrono::duration<double>(now - start).count();
      std::fprintf(stderr, "%ssynth: %5.1f%% of %.2f GiB, %.1f s%s", tty ? "\r" : "",
                   total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0,
                   static_cast<double>(total) / (1 << 30), secs, tty ? "" : "\n");
      std::fflush(stderr);
    };
    if (!o.out_path.empty()) {
      const SynthReport r = decoder ? synth_decoder(o) : synth_gemma4(o);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (tty) std::fprintf(stderr, "\n");
      std::fprintf(stderr, "wrote %s: %s %s %s, %llu tensors, %u-token vocab, %.2f GiB in %.1f s (%d threads)\n",
                   o.out_path.c_str(), decoder ? decoder_preset(o.preset).config.arch.c_str() : "gemma4",
                   o.preset.c_str(), type_name(o.quant),
                   static_cast<unsigned long long>(r.n_tensors), r.n_vocab,
                   static_cast<double>(r.file_bytes) / (1 << 30), secs, o.threads);
    }
    if (!args->mmproj_out.empty()) {
      MmprojSynthOptions m;
      m.preset = o.preset;
      m.quant = o.quant;
      m.seed = o.seed;
      m.out_path = args->mmproj_out;
      m.threads = o.threads;
      const MmprojSynthReport r = synth_gemma4v(m);
      std::fprintf(stderr, "wrote %s: gemma4v mmproj %s %s, %llu tensors, %.1f MiB\n", m.out_path.c_str(),
                   m.preset.c_str(), type_name(m.quant), static_cast<unsigned long long>(r.n_tensors),
                   static_cast<double>(r.file_bytes) / (1 << 20));
    }
    return 0;
  };
  return {sub, run};
}

}  // namespace edgelm::cli
