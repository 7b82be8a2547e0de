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
        cache_(configured_cache(model, o)),
        n_ubatch_(std::min(o.n_ubatch, cache_.max_ubatch())),
        logits_(model.n_vocab()),
        prompt_(bench_prompt_tokens(o.n_prompt, model.n_vocab(), o.seed)),
        context_(bench_prompt_tokens(o.depth, model.n_vocab(), o.seed + 1)) {}

  double prompt() {
    start();
    const auto t0 = Clock::now();
    model_.eval(cache_, prompt_, n_ubatch_, pool_, logits_.data());
    return ms_since(t0);
  }

  double generate(uint32_t n_gen) {
    start();
    if (context_.empty() || o_.synthetic_depth) {
      const int32_t first = prompt_.empty() ? 0 : prompt_.front();
      model_.eval(cache_, std::span(&first, 1), n_ubatch_, pool_, logits_.data());
    }
    const auto t0 = Clock::now();
    for (uint32_t i = 0; i < n_gen; ++i) {
      const int32_t next = argmax(logits_);
      model_.eval(cache_, std::span(&next, 1), o_.n_ubatch, pool_, logits_.data());
    }
    return ms_since(t0);
  }

  uint64_t kv_cache_bytes() const { return cache_.allocated_bytes().total(); }
  const std::vector<double>& depth_ms() const { return depth_ms_; }
  void forget_depth_times() { depth_ms_.clear(); }

 private:
  static KvCache configured_cache(const Model& model, const ThroughputBenchOptions& o) {
    KvCache cache = model.new_cache(o.n_ctx, o.n_ubatch);
    cache.configure(o.kv);
    return cache;
  }
  // An emptied cache, filled with the depth's context tokens (timed).
  void start() {
    cache_.truncate(0);
    if (context_.empty()) return;
    const auto t0 = Clock::now();
    if (o_.synthetic_depth) fill_synthetic(static_cast<uint32_t>(context_.size()));
    else model_.eval(cache_, context_, n_ubatch_, pool_, logits_.data());
    depth_ms_.push_back(ms_since(t0));
  }
  // Random unit-RMS K/V rows at the depth's positions, stored without running the model:
  // attention's cost depends on how many cells there are, not on what they hold.
  void fill_synthetic(uint32_t n) {
    std::vector<float> k, v;
    for (uint32_t done = 0; done < n;) {
      const uint32_t step = std::min(n - done, cache_.max_ubatch());
      cache_.begin_ubatch(step);
      for (uint32_t l = 0; l < cache_.n_layers(); ++l) {
        const LayerKvSpec& s = cache_.spec(l);
        if (!s.owns) continue;
        k.resize(s.head_dim);
        v.resize(s.head_dim);
        for (uint32_t t = 0; t < step; ++t) {
          for (uint32_t h = 0; h < s.n_kv_heads; ++h) {
            const uint64_t key = mix64((uint64_t{l} << 48) ^ (uint64_t{done + t} << 8) ^ h);
            for (uint32_t e = 0; e < s.head_dim; ++e) {
              k[e] = static_cast<float>(mix64(key + 2 * e) % 2001) / 577.0f - 1.733f;  // uniform, unit RMS
              v[e] = static_cast<float>(mix64(key + 2 * e + 1) % 2001) / 577.0f - 1.733f;
            }
            cache_.store(l, t, h, k.data(), v.data());
          }
        }
      }
      cache_.end_ubatch();
      done += step;
    }
  }

  const Model& model_;
  ThreadPool& pool_;
  const ThroughputBenchOptions& o_;
  KvCache cache_;
  uint32_t n_ubatch_;
  std::vector<float> logits_;
  std::vector<int32_t> prompt_;
  std::vector<int32_t> context_;
  std::vector<double> depth_ms_;
};

}  // namespace

uint32_t ThroughputBenchOptions::positions_needed() const {
  return depth + std::max(n_prompt, n_gen > 0 ? (depth > 0 ? 0 : 1) + n_gen : 0u);
}

void ThroughputBenchOptions::validate(uint32_t model_context_length) const {
  if (n_prompt == 0 && n_gen == 0) fail("nothing to measure: -p and -n are both 0");
  if (reps == 0) fail("-r/--reps must be at least 1");
  if (n_ubatch == 0) fail("-u/--ubatch must be positive");
  if (n_ctx == 0 || n_ctx > model_context_length) {
    fail("--ctx {} is out of range (1..{}, the model's context length)", n_ctx, model_context_length);
  }
  if (positions_needed() > n_ctx && kv.policy.policy == KvPolicy::none) {
    if (depth > 0) {
      fail("--ctx {} is too small: the tests need {} positions (-d {} context tokens, then -p {} prompt tokens or -n "
           "{} generated)",
           n_ctx, positions_needed(), depth, n_prompt, n_gen);
    }
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
    bench.forget_depth_times();
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
  result.depth_ms = bench.depth_ms();
  return result;
}

std::vector<int32_t> bench_prompt_tokens(uint32_t n, uint32_t n_vocab, uint64_t seed) {
  std::vector<int32_t> ids(n);
  const uint64_t stream = mix64(seed);
  for (uint32_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>(mix64(stream + i) % std::max(n_vocab, 1u));
  return ids;
}

}  // namespace edgelm
