// edgelm bench: prompt-processing and decoding throughput, time to first token and
// peak memory of a model, measured like llama-bench (runtime/throughput_bench.h), as a
// table or one JSON object. `--bandwidth` measures the memory read bandwidth, the
// ceiling for decoding (with -m: decode as a percentage of that roofline).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "kernels/cpu_features.h"
#include "cli/commands.h"
#include "cli/model_loading.h"
#include "runtime/bench_stats.h"
#include "runtime/memory_bandwidth.h"
#include "runtime/thread_pool.h"
#include "runtime/throughput_bench.h"
#include "runtime/weight_traffic.h"
#include "util/error.h"
#include "util/human_units.h"
#include "util/memory_stats.h"

namespace edgelm::cli {

namespace {

using Json = nlohmann::ordered_json;

constexpr int kBandwidthPasses = 5;

struct BenchArgs {
  std::string model;
  ThroughputBenchOptions bench;
  bool ctx_given = false;  // else bench.n_ctx is capped at the model's context length
  int threads = 0;
  bool json = false;
  bool bandwidth = false;
  uint64_t bandwidth_mib = 1024;
};

// Tokens per second from per-repetition times: the median of the rates, and the
// slowest and fastest repetition.
SampleSummary rates(const std::vector<double>& ms, uint32_t tokens) {
  std::vector<double> tps;
  for (double m : ms) tps.push_back(m > 0.0 ? 1000.0 * tokens / m : 0.0);
  return summarize(tps);
}

// "q4_0 71.9%, q6_k 27.6%, f32 0.5%": each type's share of the tensor bytes.
std::string type_mix(const GgufFile& f) {
  std::map<std::string, uint64_t> bytes_by_type;
  for (const TensorInfo& t : f.tensors()) bytes_by_type[type_name(t.type)] += t.n_bytes;
  std::vector<std::pair<std::string, uint64_t>> sorted(bytes_by_type.begin(), bytes_by_type.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  const double total = static_cast<double>(std::max<uint64_t>(f.total_tensor_bytes(), 1));
  std::string out;
  for (const auto& [type, bytes] : sorted) {
    out += fmt::format("{}{} {:.1f}%", out.empty() ? "" : ", ", type, 100.0 * static_cast<double>(bytes) / total);
  }
  return out;
}

// key: the median, key_min, key_max; null for a skipped test.
void put_summary(Json& j, const std::string& key, const SampleSummary& s, bool present) {
  j[key] = present ? Json(s.median) : Json(nullptr);
  j[key + "_min"] = present ? Json(s.min) : Json(nullptr);
  j[key + "_max"] = present ? Json(s.max) : Json(nullptr);
}

BandwidthResult measure_bandwidth(ThreadPool& pool, uint64_t mib) {
  if (mib == 0) fail("--bandwidth-mib must be positive");
  return measure_read_bandwidth(pool, mib << 20, kBandwidthPasses);
}

int run_bandwidth_only(const BenchArgs& a, int threads) {
  ThreadPool pool(threads);
  const BandwidthResult bw = measure_bandwidth(pool, a.bandwidth_mib);
  if (a.json) {
    Json j;
    j["bandwidth_bytes_per_s"] = bw.bytes_per_s;
    j["bandwidth_gbps"] = bw.bytes_per_s / 1e9;
    j["bandwidth_median_gbps"] = bw.median_bytes_per_s / 1e9;
    j["buffer_bytes"] = bw.buffer_bytes;
    j["passes"] = bw.passes;
    j["threads"] = bw.threads;
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("memory read bandwidth: {:.1f} GB/s best, {:.1f} GB/s median ({} passes over {}, {} threads)\n",
               bw.bytes_per_s / 1e9, bw.median_bytes_per_s / 1e9, bw.passes, human_bytes(bw.buffer_bytes),
               bw.threads);
  }
  return 0;
}

// Everything one benchmark run reports.
struct BenchReport {
  std::string path, file_name, model_name, type_mix, kernels;
  uint64_t file_bytes = 0;
  uint32_t n_layers = 0, n_vocab = 0;
  int threads = 0;
  ThroughputBenchOptions options;
  ThroughputBenchResult times;
  SampleSummary pp, tg, ttft;
  uint64_t peak_rss = 0;
  uint64_t weights_per_token = 0;
  double load_ms = 0.0;
  std::optional<BandwidthResult> bandwidth;

  bool has_pp() const { return options.n_prompt > 0; }
  bool has_tg() const { return options.n_gen > 0; }
  double roofline_tps() const { return bandwidth->bytes_per_s / static_cast<double>(weights_per_token); }
};

BenchReport measure(const BenchArgs& a, int threads) {
  BenchReport r;
  r.options = a.bench;
  const ThroughputBenchOptions& o = r.options;
  // Option errors before the (possibly long) load; the model's context length is
  // checked once it is known.
  o.validate(UINT32_MAX);
  using Clock = std::chrono::steady_clock;
  const auto t_load = Clock::now();
  const auto model = open_model_for_generation(a.model, true);
  r.load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_load).count();
  if (!a.ctx_given) r.options.n_ctx = std::min(r.options.n_ctx, model->context_length());
  o.validate(model->context_length());
  const GgufFile& file = model->file();
  r.path = a.model;
  r.file_name = std::filesystem::path(a.model).filename().string();
  r.model_name = file.get_string_or("general.name", "");
  r.type_mix = type_mix(file);
  r.kernels = cpu_kernels_description();
  r.file_bytes = file.file_size();
  r.n_layers = model->n_layers();
  r.n_vocab = model->n_vocab();
  r.threads = threads;
  r.weights_per_token = decode_weight_bytes_per_token(file);

  ThreadPool pool(threads);
  std::string parts;
  if (r.has_pp()) parts += fmt::format("pp{}", o.n_prompt);
  if (r.has_tg()) parts += fmt::format("{}tg{}", parts.empty() ? "" : ", ", o.n_gen);
  std::fprintf(stderr, "bench %s: %s, %u reps, %d threads%s\n", r.file_name.c_str(), parts.c_str(), o.reps, threads,
               o.warmup ? ", after a warm-up run" : "");
  r.times = run_throughput_bench(*model, pool, o, [&](uint32_t rep, double pp_ms, double tg_ms) {
    std::string line = fmt::format("rep {}/{}:", rep + 1, o.reps);
    if (r.has_pp()) line += fmt::format(" pp{} {:.2f} t/s ({:.1f} ms)", o.n_prompt, 1000.0 * o.n_prompt / pp_ms, pp_ms);
    if (r.has_tg()) line += fmt::format(" tg{} {:.2f} t/s", o.n_gen, 1000.0 * o.n_gen / tg_ms);
    std::fprintf(stderr, "%s\n", line.c_str());
  });
  // Before the bandwidth test, whose buffer would otherwise be the peak.
  r.peak_rss = peak_rss_bytes();
  r.pp = rates(r.times.prompt_ms, o.n_prompt);
  r.tg = rates(r.times.gen_ms, o.n_gen);
  r.ttft = summarize(r.times.prompt_ms);
  if (a.bandwidth) r.bandwidth = measure_bandwidth(pool, a.bandwidth_mib);
  return r;
}

void print_json(const BenchReport& r) {
  const ThroughputBenchOptions& o = r.options;
  Json j;
  j["model"] = r.path;
  j["model_name"] = r.model_name;
  j["file_bytes"] = r.file_bytes;
  j["n_vocab"] = r.n_vocab;
  j["type_mix"] = r.type_mix;
  j["threads"] = r.threads;
  j["kernels"] = r.kernels;
  j["n_prompt"] = o.n_prompt;
  j["n_gen"] = o.n_gen;
  j["reps"] = o.reps;
  j["ctx"] = o.n_ctx;
  j["ubatch"] = o.n_ubatch;
  j["warmup"] = o.warmup;
  j["tg_feed"] = "greedy";
  put_summary(j, "pp_tps", r.pp, r.has_pp());
  put_summary(j, "tg_tps", r.tg, r.has_tg());
  put_summary(j, "ttft_ms", r.ttft, r.has_pp());
  j["pp_ms"] = r.times.prompt_ms;
  j["tg_ms"] = r.times.gen_ms;
  j["peak_rss_bytes"] = r.peak_rss;
  j["kv_cache_bytes"] = r.times.kv_cache_bytes;
  j["weights_bytes_per_token"] = r.weights_per_token;
  j["load_ms"] = r.load_ms;
  if (r.bandwidth) {
    j["bandwidth_bytes_per_s"] = r.bandwidth->bytes_per_s;
    j["roofline_tg_tps"] = r.roofline_tps();
    j["tg_roofline_pct"] = r.has_tg() ? Json(100.0 * r.tg.median / r.roofline_tps()) : Json(nullptr);
  }
  fmt::print("{}\n", j.dump(2));
}

void print_table(const BenchReport& r) {
  const ThroughputBenchOptions& o = r.options;
  const std::string name = r.model_name.empty() ? "" : " (" + printable(r.model_name) + ")";
  fmt::print("model     {}{} — {}, {} layers, vocab {}\n", r.file_name, name, human_bytes(r.file_bytes), r.n_layers,
             r.n_vocab);
  fmt::print("types     {}\n", r.type_mix);
  fmt::print("threads   {}, kernels: {}\n", r.threads, r.kernels);
  fmt::print("setup     ctx {}, ubatch {}, {} reps{}, tg feeds greedy tokens; loaded in {:.0f} ms\n\n", o.n_ctx,
             o.n_ubatch, o.reps, o.warmup ? " after a warm-up" : " (no warm-up)", r.load_ms);
  const auto row = [](const std::string& test, const SampleSummary& s) {
    fmt::print("  {:<8} {:>10.2f} {:>10.2f} {:>10.2f}\n", test, s.median, s.min, s.max);
  };
  fmt::print("  {:<8} {:>10} {:>10} {:>10}\n", "test", "t/s", "min", "max");
  if (r.has_pp()) row(fmt::format("pp{}", o.n_prompt), r.pp);
  if (r.has_tg()) row(fmt::format("tg{}", o.n_gen), r.tg);
  fmt::print("\n");
  if (r.has_pp()) {
    fmt::print("ttft      {:.1f} ms for {} prompt tokens (min {:.1f}, max {:.1f})\n", r.ttft.median, o.n_prompt,
               r.ttft.min, r.ttft.max);
  }
  fmt::print("peak RSS  {} (KV cache {})\n", human_bytes(r.peak_rss), human_bytes(r.times.kv_cache_bytes));
  fmt::print("weights   {} read per decoded token\n", human_bytes(r.weights_per_token));
  if (r.bandwidth) {
    fmt::print("roofline  {:.1f} GB/s read bandwidth -> {:.2f} t/s decode ceiling", r.bandwidth->bytes_per_s / 1e9,
               r.roofline_tps());
    if (r.has_tg()) fmt::print("; tg at {:.1f}% of it", 100.0 * r.tg.median / r.roofline_tps());
    fmt::print("\n");
  }
}

int run_bench(const BenchArgs& a) {
  const int threads = resolve_threads(a.threads);
  if (a.model.empty()) {
    if (a.bandwidth) return run_bandwidth_only(a, threads);
    fail("-m/--model is required (or --bandwidth to measure memory bandwidth only)");
  }
  const BenchReport report = measure(a, threads);
  if (a.json) {
    print_json(report);
  } else {
    print_table(report);
  }
  return 0;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* sub = app.add_subcommand(
      "bench",
      "Measure prompt processing (pp) and decoding (tg) speed, time to first token and peak memory, like llama-bench.\n"
      "pp: a prompt of P random token ids (fixed seed) from an empty KV cache; its time is the time to first token.\n"
      "tg: N single-token decoding steps after a one-token prompt, each feeding back the greedy (argmax) token.\n"
      "Each repetition runs pp then tg; the table shows median, min and max over the repetitions.");
  sub->add_option("-m,--model", a->model, "GGUF model file (required unless --bandwidth alone)");
  sub->add_option("-p,--n-prompt", a->bench.n_prompt, "Prompt tokens for the pp test (0 skips it)")
      ->capture_default_str();
  sub->add_option("-n,--n-gen", a->bench.n_gen, "Tokens to decode for the tg test (0 skips it)")->capture_default_str();
  sub->add_option("-r,--reps", a->bench.reps, "Repetitions of each test (median, min and max are reported)")
      ->capture_default_str();
  sub->add_option("-t,--threads", a->threads, "Threads [default: all cores]");
  sub->add_option("-c,--ctx", a->bench.n_ctx,
                  "Context size in tokens (the KV cache's); must hold the prompt and 1 + the generated tokens "
                  "[default: 4096, or the model's context length if smaller]");
  sub->add_option("-u,--ubatch", a->bench.n_ubatch, "Prompt tokens per forward micro-batch")->capture_default_str();
  sub->add_flag("--json", a->json,
                "Print one JSON object (pp_tps, tg_tps, ttft_ms with _min/_max, peak_rss_bytes, threads, kernels, "
                "weights_bytes_per_token, ...) instead of the table");
  sub->add_flag_callback("--warmup", [a] { a->bench.warmup = true; },
                         "Run pp and a one-token tg once, untimed, before measuring (page faults, cache "
                         "allocation) [default]");
  sub->add_flag_callback("--no-warmup", [a] { a->bench.warmup = false; }, "Measure from the first run");
  sub->add_flag("--bandwidth", a->bandwidth,
                "Measure memory read bandwidth (threads streaming a buffer); alone: only that; with -m: after the "
                "model tests, with tg as a percentage of the roofline bandwidth / weights_bytes_per_token");
  sub->add_option("--bandwidth-mib", a->bandwidth_mib, "Buffer size of the bandwidth test in MiB")
      ->capture_default_str();
  return {sub, [a, sub] {
            a->ctx_given = sub->count("--ctx") > 0;
            return run_bench(*a);
          }};
}

}  // namespace edgelm::cli
