#include "runtime/throughput_bench.h"

#include <algorithm>
#include <chrono>

#include "runtime/kv_cache.h"
#include "synth/rng.h"
#include "util/error.h"

namespace edgelm {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

int32_t argmax(const std::vector<float>& logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

class Bench {
 public:
  Bench(const Model& model, ThreadPool& pool, const ThroughputBenchOptions& o)
      : model_(model),
        pool_(pool),
        o_(o),
        cache_(model.new_cache(o.n_ctx, o.n_ubatch)),
        logits_(model.n_vocab()),
        prompt_(bench_prompt_tokens(o.n_prompt, model.n_vocab(), o.seed)) {}

  double prompt() {
    cache_.truncate(0);
    const auto t0 = Clock::now();
    model_.eval(cache_, prompt_, o_.n_ubatch, pool_, logits_.data());
    return ms_since(t0);
  }

  double generate(uint32_t n_gen) {
    cache_.truncate(0);
    const int32_t first = prompt_.empty() ? 0 : prompt_.front();
    model_.eval(cache_, std::span(&first, 1), o_.n_ubatch, pool_, logits_.data());
    const auto t0 = Clock::now();
    for (uint32_t i = 0; i < n_gen; ++i) {
      const int32_t next = argmax(logits_);
      model_.eval(cache_, std::span(&next, 1), o_.n_ubatch, pool_, logits_.data());
    }
    return ms_since(t0);
  }

  uint64_t kv_cache_bytes() const { return cache_.allocated_bytes(); }

 private:
  const Model& model_;
  ThreadPool& pool_;
  const ThroughputBenchOptions& o_;
  KvCache cache_;
  std::vector<float> logits_;
  std::vector<int32_t> prompt_;
};

}  // namespace

uint32_t ThroughputBenchOptions::positions_needed() const {
  return std::max(n_prompt, n_gen > 0 ? 1 + n_gen : 0u);
}

void ThroughputBenchOptions::validate(uint32_t model_context_length) const {
  if (n_prompt == 0 && n_gen == 0) fail("nothing to measure: -p and -n are both 0");
  if (reps == 0) fail("-r/--reps must be at least 1");
  if (n_ubatch == 0) fail("-u/--ubatch must be positive");
  if (n_ctx == 0 || n_ctx > model_context_length) {
    fail("--ctx {} is out of range (1..{}, the model's context length)", n_ctx, model_context_length);
  }
  if (positions_needed() > n_ctx) {
    fail("--ctx {} is too small: -p {} needs {} positions, -n {} needs {} (a one-token prompt + {} generated)", n_ctx,
         n_prompt, n_prompt, n_gen, n_gen > 0 ? 1 + n_gen : 0, n_gen);
  }
}

ThroughputBenchResult run_throughput_bench(const Model& model, ThreadPool& pool,
                                           const ThroughputBenchOptions& options,
                                           const ThroughputBenchProgress& progress) {
  options.validate(model.context_length());
  Bench bench(model, pool, options);
  if (options.warmup) {
    if (options.n_prompt > 0) bench.prompt();
    if (options.n_gen > 0) bench.generate(1);
  }
  ThroughputBenchResult result;
  for (uint32_t rep = 0; rep < options.reps; ++rep) {
    const double prompt_ms = options.n_prompt > 0 ? bench.prompt() : 0.0;
    const double gen_ms = options.n_gen > 0 ? bench.generate(options.n_gen) : 0.0;
    if (options.n_prompt > 0) result.prompt_ms.push_back(prompt_ms);
    if (options.n_gen > 0) result.gen_ms.push_back(gen_ms);
    if (progress) progress(rep, prompt_ms, gen_ms);
  }
  result.kv_cache_bytes = bench.kv_cache_bytes();
  return result;
}

std::vector<int32_t> bench_prompt_tokens(uint32_t n, uint32_t n_vocab, uint64_t seed) {
  std::vector<int32_t> ids(n);
  const uint64_t stream = mix64(seed);
  for (uint32_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>(mix64(stream + i) % std::max(n_vocab, 1u));
  return ids;
}

}  // namespace edgelm
