// The measurement helpers behind `edgelm bench`: sample summaries, resident memory,
// the bandwidth test, weight bytes per decoded token and the throughput runner on the
// tiny preset. Figures are checked for shape and invariants, never for speed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "gguf/gguf_reader.h"
#include "models/model.h"
#include "runtime/bench_stats.h"
#include "runtime/memory_bandwidth.h"
#include "runtime/thread_pool.h"
#include "runtime/throughput_bench.h"
#include "runtime/weight_traffic.h"
#include "synth_support.h"
#include "test_support.h"
#include "util/error.h"
#include "util/memory_stats.h"

namespace edgelm {
namespace {

TEST(BenchStats, MedianMinMax) {
  const std::vector<double> odd = {5.0, 1.0, 3.0};
  const SampleSummary a = summarize(odd);
  EXPECT_EQ(a.median, 3.0);
  EXPECT_EQ(a.min, 1.0);
  EXPECT_EQ(a.max, 5.0);
  EXPECT_EQ(a.count, 3u);
  const std::vector<double> even = {4.0, 1.0, 2.0, 10.0};
  EXPECT_EQ(summarize(even).median, 3.0);  // mean of 2 and 4
  const std::vector<double> one = {7.5};
  EXPECT_EQ(summarize(one).median, 7.5);
  const SampleSummary none = summarize(std::span<const double>{});
  EXPECT_EQ(none.count, 0u);
  EXPECT_EQ(none.median, 0.0);
}

// The high-water mark is never below the resident size read just before it, and
// rises when memory beyond the previous peak is touched.
TEST(MemoryStats, PeakGrowsWithTouchedMemory) {
  const uint64_t rss = current_rss_bytes();
  const uint64_t before = peak_rss_bytes();
  ASSERT_GT(rss, 0u);
  EXPECT_GE(before, rss);
  // Touch 64 MiB beyond the gap between the current size and the peak.
  const size_t size = (before - std::min(before, rss)) + (64u << 20);
  std::unique_ptr<char[]> block(new char[size]);
  std::memset(block.get(), 1, size);
  volatile char sink = block[size - 1];
  (void)sink;
  const uint64_t now = current_rss_bytes();
  const uint64_t after = peak_rss_bytes();
  EXPECT_GE(after, before + (32u << 20));
  EXPECT_GE(after, now);
}

TEST(MemoryBandwidth, ReadsTheWholeBufferWithEveryThread) {
  ThreadPool pool(2);
  const BandwidthResult r = measure_read_bandwidth(pool, 8u << 20, 3);
  EXPECT_EQ(r.buffer_bytes, 8u << 20);
  EXPECT_EQ(r.passes, 3);
  EXPECT_EQ(r.threads, 2);
  EXPECT_GT(r.bytes_per_s, 0.0);
  EXPECT_GE(r.bytes_per_s, r.median_bytes_per_s);  // best pass ≥ median pass
  // A buffer smaller than one vector per thread still gives each thread work.
  EXPECT_EQ(measure_read_bandwidth(pool, 1, 1).buffer_bytes, 2u * 32u);
  EXPECT_THROW(measure_read_bandwidth(pool, 0, 1), Error);
  EXPECT_THROW(measure_read_bandwidth(pool, 1024, 0), Error);
}

TEST(BenchPromptTokens, SeededAndInRange) {
  const auto a = bench_prompt_tokens(300, 1000, 42);
  ASSERT_EQ(a.size(), 300u);
  for (int32_t t : a) {
    EXPECT_GE(t, 0);
    EXPECT_LT(t, 1000);
  }
  EXPECT_EQ(bench_prompt_tokens(300, 1000, 42), a);
  EXPECT_NE(bench_prompt_tokens(300, 1000, 43), a);
  // Not a constant or a short cycle: most ids of 300 draws from 1000 are distinct.
  std::vector<int32_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_GT(std::unique(sorted.begin(), sorted.end()) - sorted.begin(), 200);
  // Prefix-stable: a shorter prompt is the start of a longer one.
  const auto eight = bench_prompt_tokens(8, 32000, 42);
  EXPECT_EQ(bench_prompt_tokens(4, 32000, 42), std::vector<int32_t>(eight.begin(), eight.begin() + 4));
  // SplitMix64 (src/synth/rng.h) of stream mix64(42), modulo the vocabulary size,
  // computed independently (Python): bench/llama_bench.mjs regenerates these ids for
  // llama.cpp, and tests/bench/peer_smoke.sh checks it prints the same.
  EXPECT_EQ(bench_prompt_tokens(6, 32000, 42), (std::vector<int32_t>{17668, 26698, 1094, 22288, 20799, 16110}));
  EXPECT_EQ(bench_prompt_tokens(6, 262144, 42), (std::vector<int32_t>{29188, 66890, 44614, 51728, 35647, 18158}));
}

class BenchOnTiny : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    test::synth_tiny_gemma4(*dir_, 42, TensorType::Q4_0, "tiny-q4_0.gguf");
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string path() { return dir_->file("tiny-q4_0.gguf"); }
  static test::TempDir* dir_;
};
test::TempDir* BenchOnTiny::dir_ = nullptr;

// Every tensor in full except the per-layer embedding table, of which one row; the
// tied token_embd is the output head (in full) plus its embedding row.
TEST_F(BenchOnTiny, WeightBytesPerToken) {
  const GgufFile f = GgufFile::open(path());
  ASSERT_EQ(f.find_tensor("output.weight"), nullptr);  // Gemma 4 ties the output head
  const TensorInfo& ple = f.tensor("per_layer_token_embd.weight");
  const TensorInfo& embd = f.tensor("token_embd.weight");
  EXPECT_EQ(decode_weight_bytes_per_token(f),
            f.total_tensor_bytes() - ple.n_bytes + ple.row_bytes() + embd.row_bytes());
  EXPECT_EQ(ple.row_bytes() * static_cast<uint64_t>(ple.n_rows()), ple.n_bytes);
}

TEST_F(BenchOnTiny, RunsEveryRepetitionOfEachPart) {
  const auto model = open_model(path());
  ThreadPool pool(2);
  ThroughputBenchOptions o;
  o.n_prompt = 40;  // crosses tiny's 32-token window, in two micro-batches
  o.n_gen = 5;
  o.reps = 2;
  o.n_ctx = 64;
  o.n_ubatch = 32;
  std::vector<uint32_t> reported;
  const ThroughputBenchResult r = run_throughput_bench(*model, pool, o, [&](uint32_t rep, double pp, double tg) {
    reported.push_back(rep);
    EXPECT_GT(pp, 0.0);
    EXPECT_GT(tg, 0.0);
  });
  EXPECT_EQ(reported, (std::vector<uint32_t>{0, 1}));
  ASSERT_EQ(r.prompt_ms.size(), 2u);
  ASSERT_EQ(r.gen_ms.size(), 2u);
  for (double ms : r.prompt_ms) EXPECT_GT(ms, 0.0);
  for (double ms : r.gen_ms) EXPECT_GT(ms, 0.0);
  EXPECT_GT(r.kv_cache_bytes, 0u);

  o.n_prompt = 0;
  o.warmup = false;
  const ThroughputBenchResult tg_only = run_throughput_bench(*model, pool, o);
  EXPECT_TRUE(tg_only.prompt_ms.empty());
  EXPECT_EQ(tg_only.gen_ms.size(), 2u);
}

TEST_F(BenchOnTiny, RejectsImpossibleSettings) {
  const auto model = open_model(path());
  ThreadPool pool(1);
  auto message = [&](ThroughputBenchOptions o) -> std::string {
    try {
      run_throughput_bench(*model, pool, o);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  ThroughputBenchOptions o;
  o.n_ctx = 256;
  o.n_prompt = 0;
  o.n_gen = 0;
  EXPECT_EQ(message(o), "nothing to measure: -p and -n are both 0");
  o = {};
  o.n_ctx = 100;
  o.n_prompt = 64;
  o.n_gen = 100;
  EXPECT_EQ(message(o), "--ctx 100 is too small: -p 64 needs 64 positions, -n 100 needs 101 (a one-token prompt + 100 generated)");
  o.n_gen = 99;
  o.n_prompt = 101;
  EXPECT_EQ(message(o).rfind("--ctx 100 is too small: -p 101 needs 101 positions", 0), 0u);
  o = {};
  o.reps = 0;
  o.n_ctx = 1024;
  EXPECT_EQ(message(o), "-r/--reps must be at least 1");
  o = {};
  o.n_ctx = 1u << 30;
  EXPECT_NE(message(o).find("the model's context length"), std::string::npos);
}

}  // namespace
}  // namespace edgelm
