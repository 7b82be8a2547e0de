#include "runtime/generator.h"

#include <algorithm>
#include <chrono>

#include "util/error.h"

namespace edgelm {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double per_second(uint32_t n, double ms) { return ms > 0.0 ? n * 1000.0 / ms : 0.0; }

KvCache checked_cache(const Model& model, uint32_t n_ctx, uint32_t n_ubatch, const KvCacheOptions& kv) {
  if (n_ctx == 0 || n_ctx > model.context_length()) {
    fail("context of {} tokens is out of range (1..{}, the model's context length)", n_ctx, model.context_length());
  }
  if (n_ubatch == 0) fail("the micro-batch size must be positive");
  KvCache cache = model.new_cache(n_ctx, n_ubatch);
  cache.configure(kv);
  return cache;
}

}  // namespace

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::eog: return "eog";
    case FinishReason::max_tokens: return "max_tokens";
    case FinishReason::context_full: return "context_full";
    case FinishReason::cancelled: return "cancelled";
    case FinishReason::stopped_by_callback: return "stopped_by_callback";
  }
  return "unknown";
}

double GenerationStats::prompt_tokens_per_s() const { return per_second(prompt_tokens_evaluated, prompt_ms); }
double GenerationStats::decode_tokens_per_s() const { return per_second(decoded_tokens, generation_ms); }

Generator::Generator(const Model& model, ThreadPool& pool, uint32_t n_ctx, uint32_t n_ubatch, const KvCacheOptions& kv)
    : model_(model), pool_(pool), cache_(checked_cache(model, n_ctx, n_ubatch, kv)), logits_(model.n_vocab()) {
  // An evicting policy keeps room for at most max_ubatch() new cells at a time: longer
  // prompts are evaluated in micro-batches that fit.
  n_ubatch_ = std::min(n_ubatch, cache_.max_ubatch());
}

void Generator::evaluate(std::span<const int32_t> tokens, ModelTrace* trace) {
  try {
    model_.eval(cache_, tokens, n_ubatch_, pool_, logits_.data(), trace);
  } catch (...) {
    // A failed evaluation leaves the cache part-written: forget it all rather than
    // trust it on the next call.
    cache_.truncate(0);
    tokens_.clear();
    throw;
  }
}

uint32_t Generator::begin_prompt(std::span<const int32_t> tokens) {
  if (tokens.empty()) fail("the prompt is empty");
  if (tokens.size() > cache_.n_ctx() && !cache_.evicts()) {
    fail("the prompt has {} tokens but the context holds {} (use a larger context)", tokens.size(), cache_.n_ctx());
  }
  const size_t cached = std::min<size_t>(cache_.n_past(), tokens_.size());
  const size_t common =
      static_cast<size_t>(std::mismatch(tokens.begin(), tokens.end(), tokens_.begin(), tokens_.begin() + cached).first -
                          tokens.begin());
  // Re-evaluate at least the last token: its logits are where generation starts.
  uint32_t keep = static_cast<uint32_t>(std::min(common, tokens.size() - 1));
  if (!cache_.can_truncate(keep)) keep = 0;
  cache_.truncate(keep);
  std::vector<int32_t> next(tokens.begin(), tokens.end());  // `tokens` may be a view of tokens_
  tokens_.swap(next);
  return keep;
}

void Generator::evaluate_pending(size_t max_tokens) {
  const size_t n = std::min(n_pending(), max_tokens);
  if (n > 0) evaluate(std::span<const int32_t>(tokens_).subspan(cache_.n_past(), n));
}

void Generator::append(int32_t token) {
  if (tokens_.size() >= cache_.n_ctx()) fail("the context of {} tokens is full", cache_.n_ctx());
  tokens_.push_back(token);
}

void Generator::set_prompt(std::span<const int32_t> tokens, ModelTrace* trace) {
  const auto start = Clock::now();
  const uint32_t keep = begin_prompt(tokens);
  evaluate(std::span<const int32_t>(tokens_).subspan(keep), trace);
  stats_ = GenerationStats{};
  stats_.prompt_tokens_reused = keep;
  stats_.prompt_tokens_evaluated = static_cast<uint32_t>(tokens_.size() - keep);
  stats_.prompt_ms = ms_since(start);
}

GenerateResult Generator::generate(Sampler& sampler, const GenerateOptions& options, const TokenCallback& on_token) {
  if (tokens_.empty()) fail("generate() needs a prompt first (set_prompt)");
  if (options.max_tokens < -1) fail("max_tokens {} is below -1 (-1 = until the context is full)", options.max_tokens);
  const auto start = Clock::now();
  GenerateResult result;
  uint32_t decoded = 0;
  for (;;) {
    if (options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed)) {
      result.finish = FinishReason::cancelled;
      break;
    }
    if (options.max_tokens >= 0 && result.tokens.size() >= static_cast<size_t>(options.max_tokens)) {
      result.finish = FinishReason::max_tokens;
      break;
    }
    if ((tokens_.size() >= cache_.n_ctx() && !cache_.evicts()) || tokens_.size() >= KvCache::kNoPosition - 1) {
      result.finish = FinishReason::context_full;
      break;
    }
    // The previous token, sampled but not yet run through the model.
    if (cache_.n_past() < tokens_.size()) {
      const auto pending = std::span<const int32_t>(tokens_).subspan(cache_.n_past());
      decoded += static_cast<uint32_t>(pending.size());
      evaluate(pending);
    }
    const int32_t id = sampler.sample(logits_);
    sampler.accept(id);
    tokens_.push_back(id);
    result.tokens.push_back(id);
    if (!options.ignore_eog && options.is_eog && options.is_eog(id)) {
      result.finish = FinishReason::eog;
      break;
    }
    if (on_token && !on_token(id)) {
      result.finish = FinishReason::stopped_by_callback;
      break;
    }
  }
  stats_.generated_tokens = static_cast<uint32_t>(result.tokens.size());
  stats_.decoded_tokens = decoded;
  stats_.generation_ms = ms_since(start);
  return result;
}

}  // namespace edgelm
