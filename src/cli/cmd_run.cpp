// edgelm run: evaluate a prompt and generate tokens (token ids in and out for now;
// text prompts arrive with the tokenizer).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "kernels/cpu_features.h"
#include "models/gemma4/gemma4_model.h"
#include "runtime/thread_pool.h"
#include "util/error.h"

namespace edgelm::cli {

namespace {

struct RunArgs {
  std::string model;
  std::string prompt_ids;
  int n_predict = 32;
  float temp = 0.0f;
  uint64_t seed = 0;
  bool ids = false;
  uint32_t ctx = 4096;
  uint32_t ubatch = 512;
  int threads = 0;
  bool ignore_eos = false;
  std::string probs_out;
  std::string logits_out;
  std::string trace_out;
  std::string force_ids;
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

// Softmax of the logits (temperature 1) and the `k` most probable tokens.
std::vector<std::pair<int32_t, float>> top_probs(const std::vector<float>& logits, size_t k) {
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float l : logits) sum += std::exp(static_cast<double>(l - max));
  std::vector<int32_t> idx(logits.size());
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min(k, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  std::vector<std::pair<int32_t, float>> out;
  for (size_t i = 0; i < k; ++i) {
    out.emplace_back(idx[i], static_cast<float>(std::exp(static_cast<double>(logits[idx[i]] - max)) / sum));
  }
  return out;
}

// The prompt's last token, stage by stage, as JSON: compare it with the reference
// implementation's trace to find the first layer where two engines part.
void write_trace(const std::string& path, const Gemma4Trace& t) {
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

int32_t pick(const std::vector<float>& logits, float temp, std::mt19937_64& rng) {
  if (temp <= 0.0f) {
    // Greedy; ties go to the lowest id.
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }
  const float max = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(logits.size());
  for (size_t i = 0; i < p.size(); ++i) p[i] = std::exp(static_cast<double>((logits[i] - max) / temp));
  std::discrete_distribution<int32_t> dist(p.begin(), p.end());
  return dist(rng);
}

int run(const RunArgs& a) {
  const std::vector<int32_t> prompt = parse_ids(a.prompt_ids);
  // Teacher forcing: feed these tokens instead of the model's choices (still reporting
  // the model's own choice and probabilities at each step).
  const std::vector<int32_t> forced = a.force_ids.empty() ? std::vector<int32_t>{} : parse_ids(a.force_ids);
  if (a.n_predict < 0) fail("-n must not be negative");
  if (a.ubatch == 0) fail("--ubatch must be positive");
  const auto model = Gemma4Model::open(a.model);
  const Gemma4Config& c = model->config();
  if (a.ctx == 0 || a.ctx > c.context_length) {
    fail("--ctx {} is out of range (1..{}, the model's context length)", a.ctx, c.context_length);
  }
  const int threads = a.threads > 0 ? a.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ThreadPool pool(threads);
  KvCache cache = model->new_cache(a.ctx, a.ubatch);
  const int32_t eos = static_cast<int32_t>(model->file().get_u32_or("tokenizer.ggml.eos_token_id", UINT32_MAX));

  std::unique_ptr<std::ofstream> probs;
  if (!a.probs_out.empty()) {
    probs = std::make_unique<std::ofstream>(a.probs_out);
    if (!*probs) fail("{}: cannot create", a.probs_out);
  }
  std::mt19937_64 rng(a.seed);
  std::vector<float> logits(c.n_vocab);
  std::vector<int32_t> generated;

  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  Gemma4Trace trace;
  model->eval(cache, prompt, a.ubatch, pool, logits.data(), a.trace_out.empty() ? nullptr : &trace);
  const auto t1 = clock::now();
  if (!a.trace_out.empty()) write_trace(a.trace_out, trace);
  const int n_steps = forced.empty() ? a.n_predict : static_cast<int>(forced.size());
  for (int i = 0; i < n_steps; ++i) {
    const int32_t choice = pick(logits, a.temp, rng);
    const int32_t next = forced.empty() ? choice : forced[static_cast<size_t>(i)];
    if (probs) {
      std::string line = fmt::format("{{\"token\": {}, \"choice\": {}, \"top\": [", next, choice);
      const auto top = top_probs(logits, 20);
      for (size_t k = 0; k < top.size(); ++k) line += fmt::format("{}[{}, {:.9g}]", k ? ", " : "", top[k].first, top[k].second);
      *probs << line << "]}\n";
    }
    generated.push_back(next);
    if (next == eos && !a.ignore_eos && forced.empty()) break;
    if (i + 1 == n_steps) break;  // the last token needs no evaluation
    const int32_t one[1] = {next};
    model->eval(cache, one, a.ubatch, pool, logits.data());
  }
  const auto t2 = clock::now();

  std::string out;
  for (size_t i = 0; i < generated.size(); ++i) out += fmt::format("{}{}", i ? " " : "", generated[i]);
  std::printf("%s\n", out.c_str());
  std::fflush(stdout);

  if (!a.logits_out.empty()) {
    std::ofstream f(a.logits_out, std::ios::binary);
    f.write(reinterpret_cast<const char*>(logits.data()), static_cast<std::streamsize>(logits.size() * sizeof(float)));
    if (!f) fail("{}: write failed", a.logits_out);
  }
  const double prompt_s = std::chrono::duration<double>(t1 - t0).count();
  const double gen_s = std::chrono::duration<double>(t2 - t1).count();
  const size_t decoded = generated.empty() ? 0 : generated.size() - 1;
  std::fprintf(stderr, "prompt: %zu tokens in %.2f s (%.1f t/s); generated %zu tokens, decode %.2f t/s; %d threads; kernels %s\n",
               prompt.size(), prompt_s, static_cast<double>(prompt.size()) / prompt_s, generated.size(),
               decoded > 0 ? static_cast<double>(decoded) / gen_s : 0.0, threads,
               std::string(cpu_level_name(cpu_level())).c_str());
  return 0;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("run", "Evaluate a prompt and generate tokens with a Gemma 4 GGUF model.");
  sub->add_option("-m,--model", a->model, "GGUF model file")->required();
  sub->add_option("--prompt-ids", a->prompt_ids, "Prompt as token ids, e.g. \"2 9259 1902\" (include BOS yourself)")
      ->required();
  sub->add_option("-n,--n-predict", a->n_predict, "Tokens to generate")->capture_default_str();
  sub->add_option("--temp", a->temp, "Sampling temperature (0 = greedy)")->capture_default_str();
  sub->add_option("--seed", a->seed, "Sampling seed")->capture_default_str();
  sub->add_flag("--ids", a->ids, "Print the generated token ids on one line (the only output format for now)");
  sub->add_option("-c,--ctx", a->ctx, "Context size in tokens")->capture_default_str();
  sub->add_option("-u,--ubatch", a->ubatch, "Prompt tokens per forward micro-batch")->capture_default_str();
  sub->add_option("-t,--threads", a->threads, "Threads [default: all cores]");
  sub->add_flag("--ignore-eos", a->ignore_eos, "Keep generating after the end-of-sequence token");
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
  return {sub, [a] { return run(*a); }};
}

}  // namespace edgelm::cli
