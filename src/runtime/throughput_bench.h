#pragma once
// Prompt-processing and decoding throughput of a model, measured the way llama-bench
// does, so the figures compare with llama.cpp's:
//  - pp: a prompt of n_prompt random (seeded) token ids evaluated from an empty cache
//    in micro-batches of n_ubatch, up to and including the last token's logits. Its
//    time is also the time to first token for that prompt.
//  - tg: after a one-token prompt (not timed), n_gen single-token steps, each feeding
//    back the greedy (argmax) choice of the previous logits, so the work matches a real
//    greedy generation (llama-bench feeds random ids and skips the argmax, which costs
//    microseconds next to a forward pass).
// Each repetition runs pp then tg, each from an emptied cache.
#include <cstdint>
#include <functional>
#include <vector>

#include "models/model.h"

namespace edgelm {

class ThreadPool;

struct ThroughputBenchOptions {
  uint32_t n_prompt = 512;  // 0: no pp test
  uint32_t n_gen = 128;     // 0: no tg test
  uint32_t reps = 3;
  uint32_t n_ctx = 4096;
  uint32_t n_ubatch = 512;
  bool warmup = true;       // one untimed pp and a short tg first (page faults, allocations)
  uint64_t seed = 42;       // of the prompt's token ids

  // Context positions the tests need: the prompt, or the one-token tg prompt and the
  // generated tokens (like llama-bench, both parts are sized for one sequence).
  uint32_t positions_needed() const;
  // Throws edgelm::Error naming the option at fault: nothing to measure, no
  // repetitions, a zero micro-batch, or a context too small (or larger than the
  // model's, `model_context_length`).
  void validate(uint32_t model_context_length) const;
};

// Per repetition, in milliseconds; empty for a part that is skipped.
struct ThroughputBenchResult {
  std::vector<double> prompt_ms;  // n_prompt tokens, first token's logits included
  std::vector<double> gen_ms;     // n_gen decoding steps
  uint64_t kv_cache_bytes = 0;    // allocated by the end
};

// Called after each repetition (from 0) with its times (0 for a skipped part).
using ThroughputBenchProgress = std::function<void(uint32_t rep, double prompt_ms, double gen_ms)>;

ThroughputBenchResult run_throughput_bench(const Model& model, ThreadPool& pool,
                                           const ThroughputBenchOptions& options,
                                           const ThroughputBenchProgress& progress = {});

// `n` token ids uniform in [0, n_vocab), the same for the same seed.
std::vector<int32_t> bench_prompt_tokens(uint32_t n, uint32_t n_vocab, uint64_t seed);

}  // namespace edgelm
