// edgelm compare: several models side by side in one run, with the same threads and
// settings: file size, parameters, prompt and decode speed, time to first token, peak
// memory, the KV cache per token and at 4K/32K/128K, and the longest context, as a
// table, JSON and an SVG chart.
//
// Each measurement is `edgelm bench --json` on one model in a child process (the
// measuring code is bench's: runtime/throughput_bench.h), so every model's peak RSS is
// its own and no model's pages or caches help the next; the models take turns round by
// round (A B C, A B C, ...) so a slow phase of a shared machine hits them alike.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_loading.h"
#include "cli/subprocess.h"
#include "kernels/cpu_features.h"
#include "models/model.h"
#include "runtime/bench_stats.h"
#include "runtime/model_facts.h"
#include "util/bar_chart_svg.h"
#include "util/error.h"
#include "util/human_units.h"

namespace edgelm::cli {

namespace {

using Json = nlohmann::ordered_json;

constexpr uint32_t kContexts[] = {4096, 32768, 131072};

struct CompareArgs {
  std::vector<std::string> models;
  uint32_t n_prompt = 512;
  uint32_t n_gen = 128;
  uint32_t reps = 1;
  int threads = 0;
  bool json = false;
  std::string json_file;
  std::string chart;
};

struct ModelRow {
  std::string path, label;
  ModelFacts facts;
  std::vector<double> pp_tps, tg_tps, ttft_ms;
  uint64_t peak_rss = 0;  // the largest over the rounds
  SampleSummary pp, tg, ttft;
};

// "12.3 K" style counts: "3.21 B" parameters.
std::string human_params(uint64_t n) {
  const double v = static_cast<double>(n);
  if (v >= 1e9) return fmt::format("{:.2f} B", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.1f} M", v / 1e6);
  return fmt::format("{:.1f} K", v / 1e3);
}

std::string context_label(uint32_t c) { return c % 1024 == 0 ? fmt::format("{}K", c / 1024) : fmt::format("{}", c); }

// One round's measurement of one model.
void measure_once(const CompareArgs& a, int threads, ModelRow& row) {
  const std::vector<std::string> argv = {self_executable(), "bench", "-m", row.path, "-p", std::to_string(a.n_prompt),
                                         "-n", std::to_string(a.n_gen), "-r", "1", "-t", std::to_string(threads),
                                         "--json"};
  const ProcessResult r = run_process(argv);
  if (r.exit_code != 0) fail("{}: `edgelm bench` failed (exit {}); its error is above", row.path, r.exit_code);
  Json j;
  try {
    j = Json::parse(r.out);
  } catch (const std::exception& e) {
    fail("{}: `edgelm bench --json` printed no JSON ({})", row.path, e.what());
  }
  if (a.n_prompt > 0) {
    row.pp_tps.push_back(j.at("pp_tps").get<double>());
    row.ttft_ms.push_back(j.at("ttft_ms").get<double>());
  }
  if (a.n_gen > 0) row.tg_tps.push_back(j.at("tg_tps").get<double>());
  row.peak_rss = std::max(row.peak_rss, j.at("peak_rss_bytes").get<uint64_t>());
}

std::string kv_cell(const KvAtContext& kv) {
  if (kv.used == kv.context) return human_bytes(kv.bytes);
  return fmt::format("{} @{}", human_bytes(kv.bytes), context_label(kv.used));  // the model's maximum
}

void print_table(const CompareArgs& a, int threads, const std::vector<ModelRow>& rows) {
  fmt::print("edgelm compare: {} models, {} thread{}, kernels {}, pp{} / tg{}, {} round{} (models interleaved)\n\n",
             rows.size(), threads, threads == 1 ? "" : "s", cpu_level_name(cpu_level()), a.n_prompt, a.n_gen, a.reps,
             a.reps == 1 ? "" : "s");
  const std::string pp = fmt::format("pp{} t/s", a.n_prompt), tg = fmt::format("tg{} t/s", a.n_gen);
  fmt::print("{:<24} {:<8} {:>10} {:>9} {:>11} {:>11} {:>10} {:>10} {:>9} {:>10} {:>10} {:>10} {:>8}\n", "model", "arch",
             "file", "params", pp, tg, "TTFT", "peak RSS", "KV/token", "KV@4K", "KV@32K", "KV@128K", "max ctx");
  for (const ModelRow& r : rows) {
    const auto rate = [](const SampleSummary& s, bool on) { return on ? fmt::format("{:.2f}", s.median) : "-"; };
    const std::string ttft = a.n_prompt > 0 ? fmt::format("{:.0f} ms", r.ttft.median) : "-";
    fmt::print("{:<24} {:<8} {:>10} {:>9} {:>11} {:>11} {:>10} {:>10} {:>9} {:>10} {:>10} {:>10} {:>8}\n",
               r.label.substr(0, 24), r.facts.arch, human_bytes(r.facts.file_bytes), human_params(r.facts.parameters),
               rate(r.pp, a.n_prompt > 0), rate(r.tg, a.n_gen > 0), ttft, human_bytes(r.peak_rss),
               human_bytes(static_cast<uint64_t>(std::llround(r.facts.kv_bytes_per_token))), kv_cell(r.facts.kv[0]),
               kv_cell(r.facts.kv[1]), kv_cell(r.facts.kv[2]), context_label(r.facts.max_context));
  }
  fmt::print("\nKV: f16 K and V of one sequence (sliding-window layers keep a ring, KV-shared layers none); "
             "\"@2K\": at the model's maximum context. TTFT: the pp prompt from an empty cache.\n");
}

Json to_json(const CompareArgs& a, int threads, const std::vector<ModelRow>& rows) {
  Json j;
  j["threads"] = threads;
  j["kernels"] = cpu_kernels_description();
  j["n_prompt"] = a.n_prompt;
  j["n_gen"] = a.n_gen;
  j["rounds"] = a.reps;
  Json models = Json::array();
  for (const ModelRow& r : rows) {
    Json m;
    m["model"] = r.path;
    m["name"] = r.facts.name;
    m["arch"] = r.facts.arch;
    m["file_bytes"] = r.facts.file_bytes;
    m["parameters"] = r.facts.parameters;
    m["pp_tps"] = a.n_prompt > 0 ? Json(r.pp.median) : Json(nullptr);
    m["tg_tps"] = a.n_gen > 0 ? Json(r.tg.median) : Json(nullptr);
    m["ttft_ms"] = a.n_prompt > 0 ? Json(r.ttft.median) : Json(nullptr);
    m["pp_tps_rounds"] = r.pp_tps;
    m["tg_tps_rounds"] = r.tg_tps;
    m["peak_rss_bytes"] = r.peak_rss;
    m["kv_bytes_per_token"] = r.facts.kv_bytes_per_token;
    Json kv = Json::array();
    for (const KvAtContext& k : r.facts.kv) kv.push_back({{"context", k.context}, {"used", k.used}, {"bytes", k.bytes}});
    m["kv_cache"] = kv;
    m["max_context"] = r.facts.max_context;
    models.push_back(m);
  }
  j["models"] = models;
  return j;
}

void write_chart(const CompareArgs& a, int threads, const std::vector<ModelRow>& rows) {
  BarChart c;
  c.title = "edgelm compare";
  c.subtitle = fmt::format("{} thread{}, {} kernels; prompt {} tokens, decode {} tokens; KV cache f16", threads,
                           threads == 1 ? "" : "s", cpu_level_name(cpu_level()), a.n_prompt, a.n_gen);
  for (const ModelRow& r : rows) c.series.push_back(r.label);
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  auto panel = [&](std::string title, auto value, auto label) {
    ChartPanel p;
    p.title = std::move(title);
    for (const ModelRow& r : rows) {
      p.values.push_back(value(r));
      p.labels.push_back(label(r));
    }
    c.panels.push_back(std::move(p));
  };
  if (a.n_prompt > 0) {
    panel(fmt::format("prompt processing, pp{} (tokens/s, higher is better)", a.n_prompt),
          [](const ModelRow& r) { return r.pp.median; }, [](const ModelRow& r) { return fmt::format("{:.2f}", r.pp.median); });
  }
  if (a.n_gen > 0) {
    panel(fmt::format("decoding, tg{} (tokens/s, higher is better)", a.n_gen),
          [](const ModelRow& r) { return r.tg.median; }, [](const ModelRow& r) { return fmt::format("{:.2f}", r.tg.median); });
  }
  panel("peak resident memory (lower is better)", [&](const ModelRow& r) { return r.peak_rss / kGiB; },
        [](const ModelRow& r) { return human_bytes(r.peak_rss); });
  for (size_t i = 0; i < std::size(kContexts); ++i) {
    panel(fmt::format("KV cache of one sequence at {} context (lower is better; * = at the model's maximum context)", context_label(kContexts[i])),
          [&](const ModelRow& r) { return r.facts.kv[i].bytes / kGiB; },
          [&](const ModelRow& r) {
            const KvAtContext& k = r.facts.kv[i];
            return human_bytes(k.bytes) + (k.used < k.context ? fmt::format(" * ({})", context_label(k.used)) : "");
          });
  }
  std::ofstream out(a.chart);
  out << bar_chart_svg(c);
  if (!out) fail("{}: cannot write the chart", a.chart);
}

int run_compare(const CompareArgs& a) {
  if (a.models.size() < 1) fail("give the models to compare with -m (repeatable)");
  if (a.reps == 0) fail("-r/--rounds must be at least 1");
  if (a.n_prompt == 0 && a.n_gen == 0) fail("nothing to measure: -p and -n are both 0");
  const int threads = resolve_threads(a.threads);
  std::vector<ModelRow> rows;
  for (const std::string& path : a.models) {
    ModelRow row;
    row.path = path;
    row.label = std::filesystem::path(path).stem().string();
    {
      if (!std::filesystem::exists(path)) fail("model file not found: {}", path);
      const auto model = open_model(path);  // mapped, not read: the facts need only the metadata
      row.facts = model_facts(*model, kContexts);
    }
    rows.push_back(std::move(row));
  }
  for (uint32_t round = 0; round < a.reps; ++round) {
    for (ModelRow& row : rows) {
      std::fprintf(stderr, "compare: round %u/%u, %s\n", round + 1, a.reps, row.label.c_str());
      measure_once(a, threads, row);
    }
  }
  for (ModelRow& row : rows) {
    row.pp = summarize(row.pp_tps);
    row.tg = summarize(row.tg_tps);
    row.ttft = summarize(row.ttft_ms);
  }
  if (a.json) {
    fmt::print("{}\n", to_json(a, threads, rows).dump(2));
  } else {
    print_table(a, threads, rows);
  }
  if (!a.json_file.empty()) {
    std::ofstream out(a.json_file);
    out << to_json(a, threads, rows).dump(2) << "\n";
    if (!out) fail("{}: cannot write the JSON", a.json_file);
  }
  if (!a.chart.empty()) {
    write_chart(a, threads, rows);
    std::fprintf(stderr, "compare: chart written to %s\n", a.chart.c_str());
  }
  return 0;
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto a = std::make_shared<CompareArgs>();
  CLI::App* sub = app.add_subcommand(
      "compare",
      "Benchmark several models side by side in one run, with the same threads and settings: file size, "
      "parameters, prompt (pp) and decode (tg) tokens/s, time to first token, peak RSS, KV cache per token and at "
      "4K/32K/128K context (or the model's maximum), and the maximum context. Each model is measured by `edgelm "
      "bench` in a child process of its own (its own peak RSS), the models taking turns round by round.");
  sub->add_option("-m,--model", a->models, "GGUF model file (repeat for each model)")->required();
  sub->add_option("-p,--n-prompt", a->n_prompt, "Prompt tokens for the pp test and TTFT (0 skips it)")
      ->capture_default_str();
  sub->add_option("-n,--n-gen", a->n_gen, "Tokens to decode for the tg test (0 skips it)")->capture_default_str();
  sub->add_option("-r,--rounds", a->reps, "Rounds over all models (median over rounds; peak RSS: the largest)")
      ->capture_default_str();
  sub->add_option("-t,--threads", a->threads, "Threads for every model [default: all cores]");
  sub->add_flag("--json", a->json, "Print one JSON object instead of the table");
  sub->add_option("--json-file", a->json_file, "Also write the JSON object to this file");
  sub->add_option("--chart", a->chart, "Also write an SVG bar chart of throughput and memory to this file");
  return {sub, [a] { return run_compare(*a); }};
}

}  // namespace edgelm::cli
