#pragma once
// Token-level generation over one sequence: a prompt, then sampled tokens, each fed
// back through the model. The generator remembers which tokens its KV cache holds, so
// the next prompt (typically the previous prompt + the reply + a new turn) evaluates
// only what differs from them.
#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/model.h"
#include "runtime/kv_cache.h"
#include "runtime/prompt_images.h"
#include "sample/sampler.h"

namespace edgelm {

class ThreadPool;

enum class FinishReason { eog, max_tokens, context_full, cancelled, stopped_by_callback };

// "eog", "max_tokens", "context_full", "cancelled", "stopped_by_callback".
std::string_view finish_reason_name(FinishReason reason);

struct GenerateOptions {
  int max_tokens = -1;                    // -1: until the context is full
  std::function<bool(int32_t)> is_eog;    // end-of-generation tokens; none when empty
  bool ignore_eog = false;                // keep going past them (they are then ordinary tokens)
  const std::atomic<bool>* cancel = nullptr;  // checked before every token
};

struct GenerateResult {
  std::vector<int32_t> tokens;  // every sampled token, a terminating end-of-generation token included
  FinishReason finish = FinishReason::max_tokens;
};

struct GenerationStats {
  uint32_t prompt_tokens_reused = 0;     // already in the cache at the last set_prompt()
  uint32_t prompt_tokens_evaluated = 0;  // run through the model by it
  double prompt_ms = 0.0;
  uint32_t generated_tokens = 0;         // by the last generate()
  uint32_t decoded_tokens = 0;           // tokens it ran through the model (the last one waits)
  double generation_ms = 0.0;

  double prompt_tokens_per_s() const;
  double decode_tokens_per_s() const;
};

// Called with each generated token (not with a terminating end-of-generation token);
// return false to stop. During the call, Generator::logits() are the logits the
// token was drawn from.
using TokenCallback = std::function<bool(int32_t token)>;

class Generator {
 public:
  // The model and the pool must outlive the generator. Throws edgelm::Error when n_ctx
  // is 0 or beyond the model's context length, or n_ubatch is 0. `kv`: the cache's
  // storage types and what happens when the context is full (by default generation
  // stops there; an evicting policy lets the sequence run on past it, see kv_policy.h).
  Generator(const Model& model, ThreadPool& pool, uint32_t n_ctx, uint32_t n_ubatch, const KvCacheOptions& kv = {});

  // Makes `tokens` the sequence and evaluates it, reusing the longest common prefix
  // with the tokens in the cache. At least the last token is evaluated (its logits
  // are what generation starts from). When a sliding-window ring buffer has already
  // overwritten positions the reuse would need, evaluation starts over from 0.
  // Throws edgelm::Error for an empty prompt, or one longer than the context unless the
  // cache's policy evicts (the prompt is then compressed as it is evaluated).
  // With `trace`, records the last token's intermediate values.
  void set_prompt(std::span<const int32_t> tokens, ModelTrace* trace = nullptr);
  // The same with images: `tokens` holds kImageTokenId at the positions of each image
  // (in order, not overlapping), whose rows the model reads instead. A cached image is
  // reused when the same image (key) sits at the same position; an image is always
  // evaluated whole.
  void set_prompt(std::span<const int32_t> tokens, std::span<const PromptImage> images, ModelTrace* trace = nullptr);

  // Step-wise use, for a caller that interleaves several sequences (the server's
  // scheduler evaluates a chunk of one sequence's prompt, then a token of another's):
  // begin_prompt makes `tokens` the sequence as set_prompt does (same checks, same
  // prefix reuse) but evaluates nothing and returns how many tokens it reuses;
  // evaluate_pending runs up to `max_tokens` of the tokens not yet in the cache through
  // the model (logits() are then the last one's) — stopping before the next image, or
  // evaluating one whole image whatever its size; append adds a sampled token, which
  // the next evaluate_pending evaluates. Throws edgelm::Error when the context is full.
  uint32_t begin_prompt(std::span<const int32_t> tokens, std::span<const PromptImage> images = {});
  size_t n_pending() const { return tokens_.size() - cache_.n_past(); }
  void evaluate_pending(size_t max_tokens);
  void append(int32_t token);
  // evaluate_pending for several generators at once (the server's continuous batching):
  // their text chunks go through the model in one forward pass, which reads the weights
  // once for all of them (Model::eval_batch); a generator whose next input is an image
  // evaluates it on its own. The generators must share the model and the pool.
  // Returns, per generator, the message of the error that stopped its evaluation (empty:
  // none); that generator has then forgotten its cache, as after a failed set_prompt.
  static std::vector<std::string> evaluate_pending_together(std::span<Generator* const> generators,
                                                            std::span<const size_t> max_tokens);

  // Samples tokens until one of the FinishReasons. The tokens are appended to the
  // sequence (prompt + generated never exceeds the context unless the cache's policy
  // evicts); the last one is evaluated only when needed: by the next generate() or
  // set_prompt().
  GenerateResult generate(Sampler& sampler, const GenerateOptions& options, const TokenCallback& on_token = {});

  // Logits after the last evaluated token (n_vocab values).
  std::span<const float> logits() const { return logits_; }
  // The sequence: prompt and generated tokens.
  std::span<const int32_t> tokens() const { return tokens_; }
  uint32_t n_ctx() const { return cache_.n_ctx(); }
  // The KV cache (memory figures, eviction counts, positions).
  const KvCache& cache() const { return cache_; }
  const GenerationStats& stats() const { return stats_; }

 private:
  void evaluate(std::span<const int32_t> tokens, ModelTrace* trace = nullptr);
  // Runs one evaluation; if it throws, the cache is forgotten (it may be part-written).
  void guarded(const std::function<void()>& evaluation);
  void forget();
  // The text from the cache's end: at most max_tokens, up to the next image or the
  // prompt's end (empty when the next input is an image).
  std::span<const int32_t> next_text_chunk(size_t max_tokens) const;
  // Evaluates from the cache's end: one whole image, or at most max_tokens of text up
  // to the next image; returns the positions evaluated. `trace` goes to a text run that
  // ends the sequence.
  size_t evaluate_next(size_t max_tokens, ModelTrace* trace);
  // The first image not wholly before `pos`, or null.
  const PromptImage* image_from(size_t pos) const;
  // Throws unless the placeholders of `tokens` are exactly the images' positions.
  void check_images(std::span<const int32_t> tokens, std::span<const PromptImage> images) const;
  // Where the cached sequence and a new one (tokens, images) part, in positions.
  size_t common_prefix(std::span<const int32_t> tokens, std::span<const PromptImage> images) const;

  const Model& model_;
  ThreadPool& pool_;
  uint32_t n_ubatch_;
  KvCache cache_;
  std::vector<int32_t> tokens_;  // the first cache_.n_past() of them are in the cache
  std::vector<PromptImage> images_;  // the images among tokens_, in order
  std::vector<float> logits_;
  GenerationStats stats_;
};

}  // namespace edgelm
