// edgelm run: one prompt, one generation. Text prompts (-p / -f) go through the chat
// template and stream text (run_text.cpp); --prompt-ids is the token-level mode the
// parity tests use (ids in, ids out, teacher forcing, probabilities and traces).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numeric>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/kv_options.h"
#include "cli/memory_report.h"
#include "cli/probs_output.h"
#include "cli/model_loading.h"
#include "cli/text_file.h"
#include "cli/run_text.h"
#include "cli/sampling_options.h"
#include "kernels/cpu_features.h"
#include "models/model.h"
#include "runtime/generator.h"
#include "runtime/thread_pool.h"
#include "sample/sampler.h"
#include "util/error.h"

namespace edgelm::cli {

namespace {

struct RunArgs {
  std::string model;
  std::string prompt_ids;
  std::string prompt_text;
  std::string prompt_file;
  std::string system;
  std::string template_path;
  bool raw = false;
  bool think = false;
  std::vector<std::string> stops;
  int n_predict = 32;
  bool n_given = false;
  bool ctx_given = false;
  SamplingParams sampling;
  bool temp_given = false;
  bool ids = false;
  uint32_t ctx = 4096;
  uint32_t ubatch = 512;
  int threads = 0;
  bool ignore_eos = false;
  std::string probs_out;
  std::string logits_out;
  std::string trace_out;
  std::string force_ids;
  KvCliOptions kv;
  bool mem = false;
  std::string mmproj;
  std::vector<std::string> images;
};

std::vector<int32_t> parse_ids(const std::string& text) {
  std::vector<int32_t> ids;
  std::string token;
  std::istringstream in(text);
  while (in >> token) {
    for (char& ch : token) {
      if (ch == ',') ch = ' ';
    }
    std::istringstream parts(token);
    std::string part;
    while (parts >> part) {
      size_t used = 0;
      long long v = 0;
      try {
        v = std::stoll(part, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != part.size() || v < 0 || v > INT32_MAX) fail("--prompt-ids: '{}' is not a token id", printable(part));
      ids.push_back(static_cast<int32_t>(v));
    }
  }
  if (ids.empty()) fail("--prompt-ids is empty");
  return ids;
}

// The prompt's last token, stage by stage, as JSON: compare it with the reference
// implementation's trace to find the first layer where two engines part.
void write_trace(const std::string& path, const ModelTrace& t) {
  std::ofstream f(path);
  if (!f) fail("{}: cannot create", path);
  auto vec = [](const std::vector<float>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += fmt::format("{}{:.9g}", i ? "," : "", v[i]);
    return s + "]";
  };
  auto list = [&](const std::vector<std::vector<float>>& vs) {
    std::string s = "[";
    for (size_t i = 0; i < vs.size(); ++i) s += (i ? ",\n  " : "") + vec(vs[i]);
    return s + "]";
  };
  f << "{\"embedding\": " << vec(t.embedding) << ",\n\"per_layer_input\": " << list(t.per_layer_input)
    << ",\n\"layer_output\": " << list(t.layer_output) << ",\n\"final_norm\": " << vec(t.final_norm) << "}\n";
  if (!f) fail("{}: write failed", path);
}

std::string read_prompt_file(const std::string& path) {
  std::optional<std::string> text = read_whole_file(path);
  if (!text) fail("{}: cannot open the prompt file", path);
  return std::move(*text);
}

int run_text_mode(const RunArgs& a) {
  TextRunOptions o;
  o.model = a.model;
  o.prompt = a.prompt_file.empty() ? a.prompt_text : read_prompt_file(a.prompt_file);
  o.system = a.system;
  o.template_path = a.template_path;
  o.raw = a.raw;
  o.think = a.think;
  o.stops = a.stops;
  o.n_predict = a.n_given ? a.n_predict : -1;
  o.ignore_eos = a.ignore_eos;
  o.sampling = a.sampling;
  o.ctx = a.ctx;
  o.ctx_given = a.ctx_given;
  o.ubatch = a.ubatch;
  o.threads = a.threads;
  o.kv = kv_cache_options(a.kv);
  o.mem = a.mem;
  o.mmproj = a.mmproj;
  o.print_ids = a.ids;
  o.probs_out = a.probs_out;
  if (!a.force_ids.empty()) o.force_ids = parse_ids(a.force_ids);
  if ((!o.probs_out.empty() || !o.force_ids.empty()) && !o.print_ids) {
    fail("--probs-out and --force-ids with a text prompt need --ids (token-level output)");
  }
  o.images = a.images;
  return run_text(o);
}

int run(const RunArgs& a) {
  const int modes = !a.prompt_ids.empty() + !a.prompt_text.empty() + !a.prompt_file.empty();
  if (modes != 1) fail("give exactly one prompt: -p TEXT, -f FILE or --prompt-ids IDS");
  if (a.prompt_ids.empty()) return run_text_mode(a);
  if (!a.system.empty() || !a.template_path.empty() || a.raw || a.think || !a.stops.empty()) {
    fail("--system, --template, --raw, --think and --stop apply to text prompts (-p/-f), not --prompt-ids");
  }
  if (!a.images.empty() || !a.mmproj.empty()) fail("--image and --mmproj apply to text prompts (-p/-f), not --prompt-ids");
  const std::vector<int32_t> prompt = parse_ids(a.prompt_ids);
  // Teacher forcing: feed these tokens instead of the model's choices (still reporting
  // the model's own choice and probabilities at each step).
  const std::vector<int32_t> forced = a.force_ids.empty() ? std::vector<int32_t>{} : parse_ids(a.force_ids);
  if (a.n_predict < 0) fail("-n must not be negative");
  if (a.ubatch == 0) fail("--ubatch must be positive");
  SamplingParams sampling = a.sampling;
  // Token ids in, token ids out: greedy unless --temp says otherwise, so runs compare
  // token for token with llama.cpp's greedy decoding.
  if (!a.temp_given) sampling.temperature = 0.0f;
  sampling.validate();
  const auto model = open_model_for_generation(a.model, false);
  const uint32_t ctx = context_size(a.ctx, a.ctx_given, *model);
  const int threads = a.threads > 0 ? a.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ThreadPool pool(threads);
  Generator generator(*model, pool, ctx, a.ubatch, kv_cache_options(a.kv));
  Sampler sampler(sampling, model->n_vocab());
  for (int32_t t : prompt) sampler.accept(t);  // the penalties see the prompt, as in llama.cpp
  const int32_t eos = static_cast<int32_t>(model->file().get_u32_or("tokenizer.ggml.eos_token_id", UINT32_MAX));

  std::unique_ptr<std::ofstream> probs;
  if (!a.probs_out.empty()) {
    probs = std::make_unique<std::ofstream>(a.probs_out);
    if (!*probs) fail("{}: cannot create", a.probs_out);
  }

  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  ModelTrace trace;
  generator.set_prompt(prompt, a.trace_out.empty() ? nullptr : &trace);
  const auto t1 = clock::now();
  if (!a.trace_out.empty()) write_trace(a.trace_out, trace);
  std::vector<int32_t> generated;
  if (forced.empty()) {
    GenerateOptions options;
    options.max_tokens = a.n_predict;
    options.is_eog = [eos](int32_t t) { return t == eos; };
    options.ignore_eog = a.ignore_eos;
    const GenerateResult result = generator.generate(sampler, options, [&](int32_t t) {
      if (probs) write_probs(*probs, t, t, generator.logits());
      return true;
    });
    generated = result.tokens;
    if (result.finish == FinishReason::context_full) {
      std::fprintf(stderr, "stopped: the context of %u tokens is full (use a larger --ctx or an evicting --kv-policy)\n",
                   ctx);
    }
    // The terminating end-of-sequence token gets its line too (no callback for it).
    if (probs && result.finish == FinishReason::eog) write_probs(*probs, eos, eos, generator.logits());
  } else {
    // Each forced token extends the sequence; set_prompt reuses the cache and
    // evaluates just that token.
    std::vector<int32_t> sequence = prompt;
    for (size_t i = 0; i < forced.size(); ++i) {
      const int32_t choice = sampler.sample(generator.logits());
      if (probs) write_probs(*probs, forced[i], choice, generator.logits());
      sampler.accept(forced[i]);
      generated.push_back(forced[i]);
      if (i + 1 == forced.size()) break;  // the last token needs no evaluation
      sequence.push_back(forced[i]);
      generator.set_prompt(sequence);
    }
  }
  const auto t2 = clock::now();

  std::string out;
  for (size_t i = 0; i < generated.size(); ++i) out += fmt::format("{}{}", i ? " " : "", generated[i]);
  std::printf("%s\n", out.c_str());
  std::fflush(stdout);

  if (!a.logits_out.empty()) {
    // The last evaluated position: the distribution the last token was drawn from.
    const std::span<const float> logits = generator.logits();
    std::ofstream f(a.logits_out, std::ios::binary);
    f.write(reinterpret_cast<const char*>(logits.data()), static_cast<std::streamsize>(logits.size_bytes()));
    if (!f) fail("{}: write failed", a.logits_out);
  }
  const double prompt_s = std::chrono::duration<double>(t1 - t0).count();
  const double gen_s = std::chrono::duration<double>(t2 - t1).count();
  const size_t decoded = generated.empty() ? 0 : generated.size() - 1;
  const std::string seed = sampling.temperature > 0.0f ? fmt::format("; seed {}", sampler.seed()) : "";
  std::fprintf(stderr,
               "prompt: %zu tokens in %.2f s (%.1f t/s); generated %zu tokens, decode %.2f t/s; %d threads; kernels "
               "%s%s\n",
               prompt.size(), prompt_s, static_cast<double>(prompt.size()) / prompt_s, generated.size(),
               decoded > 0 ? static_cast<double>(decoded) / gen_s : 0.0, threads,
               std::string(cpu_level_name(cpu_level())).c_str(), seed.c_str());
  if (a.mem) print_measured_memory(generator, model->file());
  return 0;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand(
      "run",
      "Generate a reply to one prompt with a Gemma 4 GGUF model. A text prompt (-p/-f) is sent as a user turn "
      "through the model's chat template (--raw: as it is) and the reply streams to stdout; speeds go to stderr. "
      "--prompt-ids is the token-level mode (ids in, ids out) used to compare with llama.cpp.");
  sub->add_option("-m,--model", a->model, "GGUF model file")->required();
  sub->add_option("-p,--prompt", a->prompt_text, "Prompt text");
  sub->add_option("-f,--file", a->prompt_file, "Read the prompt text from a file");
  sub->add_option("-s,--system", a->system, "System prompt (text prompts)");
  sub->add_flag("--raw", a->raw, "Send the text prompt as it is, without the chat template");
  sub->add_option("--template", a->template_path, "Jinja chat template file instead of the model's own");
  sub->add_flag("--think", a->think,
                "Let the model reason first (Gemma 4 thinking mode); its thoughts go to stderr, apart from the "
                "answer");
  sub->add_option("--stop", a->stops, "Stop the reply at this text (repeatable; text prompts)");
  sub->add_option("--mmproj", a->mmproj, "Vision encoder GGUF (mmproj, projector gemma4v) for --image");
  sub->add_option("--image", a->images,
                  "Image file (PNG, JPEG, WebP, GIF, BMP) shown to the model before the prompt text, or where the "
                  "text has <__media__> markers (repeatable; needs --mmproj)");
  sub->add_option("--prompt-ids", a->prompt_ids, "Prompt as token ids, e.g. \"2 9259 1902\" (include BOS yourself)");
  sub->add_option("-n,--n-predict", a->n_predict,
                  "Tokens to generate [default: text prompts until the model ends its turn (-1), --prompt-ids 32]");
  add_sampling_options(sub, a->sampling);
  sub->get_option("--temp")->description(
      fmt::format("Sampling temperature; 0 or less is greedy (argmax) [default: greedy with --prompt-ids, else {}]",
                  SamplingParams{}.temperature));
  sub->add_flag("--ids", a->ids, "Print the generated token ids on one line (what --prompt-ids mode prints)");
  sub->add_option("-c,--ctx", a->ctx, "Context size in tokens [default: 4096, or the model's context length if smaller]");
  sub->add_option("-u,--ubatch", a->ubatch, "Prompt tokens per forward micro-batch")->capture_default_str();
  sub->add_option("-t,--threads", a->threads, "Threads [default: all cores]");
  sub->add_flag("--ignore-eos", a->ignore_eos, "Keep generating after the end-of-sequence token");
  add_kv_options(sub, a->kv);
  sub->add_flag("--mem", a->mem,
                "After the run, print the memory it used: resident weights, KV cache committed by kind of layer, "
                "cells in use, evictions, peak RSS (edgelm mem gives the plan before running)");
  sub->add_option("--probs-out", a->probs_out,
                  "Write per generated step a JSON line {\"token\", \"choice\", \"top\": [[id, p], ...]} "
                  "(token fed back, the model's own choice, the 20 most probable tokens)");
  sub->add_option("--logits-out", a->logits_out, "Write the last position's logits (f32, little endian)");
  sub->add_option("--force-ids", a->force_ids,
                  "Teacher forcing: after the prompt, feed these token ids instead of sampling (overrides -n); "
                  "--probs-out then shows the model's distribution and own choice at each forced step");
  sub->add_option("--trace-out", a->trace_out,
                  "Write the prompt's last token stage by stage (embedding, per-layer inputs, each layer's "
                  "output, final norm) as JSON, to locate a mismatch layer by layer");
  return {sub, [a, sub] {
            a->temp_given = sub->count("--temp") > 0;
            a->n_given = sub->count("--n-predict") > 0;
            a->ctx_given = sub->count("--ctx") > 0;
            return run(*a);
          }};
}

}  // namespace edgelm::cli
