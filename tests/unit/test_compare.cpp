// What `edgelm compare` reports before running anything (model_facts: parameters, KV
// cache sizes) and how it draws them (bar_chart_svg); the command itself end to end.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "models/model.h"
#include "runtime/model_facts.h"
#include "synth/synth_decoder.h"
#include "synth/synth_gemma4.h"
#include "test_support.h"
#include "util/bar_chart_svg.h"

namespace edgelm {
namespace {

std::string small_vocab() { return (test::shared_testdata() / "vocab" / "ggml-vocab-llama-spm.gguf").string(); }

std::string synth(const test::TempDir& dir, const std::string& preset) {
  SynthOptions o;
  o.preset = preset;
  o.quant = TensorType::Q8_0;
  o.vocab_path = small_vocab();
  o.out_path = dir.file(preset + ".gguf");
  if (preset == "tiny") synth_gemma4(o);
  else synth_decoder(o);
  return o.out_path;
}

constexpr uint32_t kContexts[] = {1024, 4096, 131072};

// Every layer owns a full cache: K and V of KV heads x head size in f16 per layer.
TEST(ModelFacts, FullAttentionModelsGrowLinearly) {
  test::TempDir dir;
  for (const std::string preset : {"llama-tiny", "openelm-tiny"}) {
    const auto m = open_model(synth(dir, preset));
    const DecoderConfig c = decoder_preset(preset).config;
    uint64_t per_token = 0;
    for (uint32_t l = 0; l < c.n_layers; ++l) per_token += 2ull * c.n_head_kv[l] * c.head_dim * 2;
    const ModelFacts f = model_facts(*m, kContexts);
    EXPECT_EQ(f.arch, c.arch);
    EXPECT_DOUBLE_EQ(f.kv_bytes_per_token, static_cast<double>(per_token)) << preset;
    EXPECT_EQ(f.max_context, c.context_length);
    ASSERT_EQ(f.kv.size(), 3u);
    for (const KvAtContext& k : f.kv) {
      EXPECT_EQ(k.used, std::min(k.context, c.context_length)) << preset;
      EXPECT_EQ(k.bytes, per_token * k.used) << preset << " at " << k.context;
    }
    uint64_t params = 0;
    for (const TensorInfo& t : m->file().tensors()) params += t.n_elements;
    EXPECT_EQ(f.parameters, params);
    EXPECT_EQ(f.file_bytes, m->file().file_size());
  }
}

// Gemma 4 tiny: sliding layers keep a ring (window 32 + micro-batch 512, rounded to
// 256: 768 cells), KV-shared layers nothing; only the full layers grow with the context.
TEST(ModelFacts, SlidingAndSharedLayersOfGemma4) {
  test::TempDir dir;
  const auto m = open_model(synth(dir, "tiny"));
  const Gemma4Config c = gemma4_preset("tiny").config;
  uint64_t per_token = 0, ring = 0;
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    if (!c.owns_kv(l)) continue;
    const uint64_t row = 2ull * c.n_head_kv[l] * c.head_dim(l) * 2;
    if (c.is_sliding[l]) ring += row * 768;
    else per_token += row;
  }
  const ModelFacts f = model_facts(*m, kContexts);
  EXPECT_DOUBLE_EQ(f.kv_bytes_per_token, static_cast<double>(per_token));
  EXPECT_EQ(f.kv[1].bytes, ring + per_token * 4096);
  EXPECT_EQ(f.kv[2].bytes, ring + per_token * 131072);
}

TEST(BarChartSvg, DrawsEveryBarWithEscapedText) {
  BarChart c;
  c.title = "a <b> & c";
  c.series = {"model-1", "model-2"};
  c.panels.push_back({"speed", {10.0, 5.0}, {"10", "5"}});
  c.panels.push_back({"memory", {2.0, -1.0}, {"2 GiB", ""}});
  const std::string svg = bar_chart_svg(c);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("a &lt;b&gt; &amp; c"), std::string::npos);
  EXPECT_EQ(svg.find("<b>"), std::string::npos);
  size_t bars = 0;
  for (size_t at = svg.find("<rect x="); at != std::string::npos; at = svg.find("<rect x=", at + 1)) ++bars;
  EXPECT_EQ(bars, 3u);  // the negative value has no bar
  EXPECT_NE(svg.find("width=\"560.0\""), std::string::npos);  // the largest bar of a panel is full width
  EXPECT_NE(svg.find("width=\"280.0\""), std::string::npos);  // half the value, half the width
  EXPECT_NE(svg.find(">n/a<"), std::string::npos);
}

test::CommandResult run(const std::string& args) { return test::run_command(std::string(EDGELM_BINARY) + " " + args); }

TEST(CompareCommand, TableJsonAndChartForThreeArchitectures) {
  test::TempDir dir;
  const std::string a = synth(dir, "tiny"), b = synth(dir, "llama-tiny"), c = synth(dir, "openelm-tiny");
  const std::string models = " -m " + a + " -m " + b + " -m " + c;
  const std::string chart = dir.file("chart.svg");
  const test::CommandResult j = run("compare" + models + " -p 8 -n 2 -r 2 -t 2 --json --chart " + chart);
  ASSERT_EQ(j.status, 0);
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["threads"], 2);
  EXPECT_EQ(doc["rounds"], 2);
  ASSERT_EQ(doc["models"].size(), 3u);
  const std::vector<std::string> archs = {"gemma4", "llama", "openelm"};
  for (size_t i = 0; i < 3; ++i) {
    const auto& m = doc["models"][i];
    EXPECT_EQ(m["arch"], archs[i]);
    for (const char* key : {"pp_tps", "tg_tps", "ttft_ms", "kv_bytes_per_token"}) {
      EXPECT_GT(m[key].get<double>(), 0.0) << archs[i] << " " << key;
    }
    EXPECT_EQ(m["pp_tps_rounds"].size(), 2u);
    EXPECT_GT(m["peak_rss_bytes"].get<uint64_t>(), m["file_bytes"].get<uint64_t>() / 2);
    EXPECT_EQ(m["kv_cache"].size(), 3u);
    EXPECT_GT(m["parameters"].get<uint64_t>(), 1000000u);
  }
  EXPECT_EQ(doc["models"][2]["max_context"], 2048);
  EXPECT_EQ(doc["models"][2]["kv_cache"][1]["used"], 2048);  // 32K asked, OpenELM stops at 2K
  const auto svg = test::read_bytes(chart);
  const std::string text(svg.begin(), svg.end());
  EXPECT_NE(text.find("llama-tiny"), std::string::npos);
  EXPECT_NE(text.find("decoding, tg2"), std::string::npos);

  const std::string json_file = dir.file("compare.json");
  const test::CommandResult t = run("compare" + models + " -p 8 -n 2 -t 2 --json-file " + json_file);
  ASSERT_EQ(t.status, 0);
  const auto saved = test::read_bytes(json_file);
  EXPECT_EQ(nlohmann::json::parse(std::string(saved.begin(), saved.end()))["models"].size(), 3u);
  for (const char* column : {"pp8 t/s", "tg2 t/s", "TTFT", "peak RSS", "KV/token", "KV@128K", "max ctx", "openelm-tiny"}) {
    EXPECT_NE(t.out.find(column), std::string::npos) << column << " in\n" << t.out;
  }
  EXPECT_EQ(run("compare -m " + dir.file("missing.gguf")).status, 1);
}

}  // namespace
}  // namespace edgelm
