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
  guarded([&] { model_.eval(cache_, tokens, n_ubatch_, pool_, logits_.data(), trace); });
}

void Generator::guarded(const std::function<void()>& evaluation) {
  try {
    evaluation();
  } catch (...) {
    // A failed evaluation leaves the cache part-written: forget it all rather than
    // trust it on the next call.
    forget();
    throw;
  }
}

void Generator::forget() {
  cache_.truncate(0);
  tokens_.clear();
  images_.clear();
}

std::span<const int32_t> Generator::next_text_chunk(size_t max_tokens) const {
  const size_t pos = std::min<size_t>(cache_.n_past(), tokens_.size());
  const PromptImage* image = image_from(pos);
  if (image != nullptr && image->position <= pos) return {};
  const size_t end = std::min({image ? image->position : tokens_.size(), pos + max_tokens});
  return std::span<const int32_t>(tokens_).subspan(pos, end - pos);
}

const PromptImage* Generator::image_from(size_t pos) const {
  for (const PromptImage& image : images_) {
    if (image.end() > pos) return &image;
  }
  return nullptr;
}

size_t Generator::evaluate_next(size_t max_tokens, ModelTrace* trace) {
  const std::span<const int32_t> text = next_text_chunk(max_tokens);
  if (!text.empty()) {
    const bool ends = text.data() + text.size() == tokens_.data() + tokens_.size();
    evaluate(text, ends ? trace : nullptr);
    return text.size();
  }
  const PromptImage* image = image_from(cache_.n_past());
  if (image == nullptr || max_tokens == 0) return 0;
  // Images go in whole (begin_prompt never keeps part of one).
  guarded([&] {
    model_.eval_embeddings(cache_, image->embedding->rows, n_ubatch_, pool_, logits_.data(),
                           model_.images_bidirectional());
  });
  return image->embedding->n_tokens;
}

size_t Generator::common_prefix(std::span<const int32_t> tokens, std::span<const PromptImage> images) const {
  const size_t cached = std::min<size_t>(cache_.n_past(), tokens_.size());
  size_t common =
      static_cast<size_t>(std::mismatch(tokens.begin(), tokens.end(), tokens_.begin(), tokens_.begin() + cached).first -
                          tokens.begin());
  // Equal placeholders are not equal images: an image counts only when the same one
  // (key) sits at the same place in both sequences; else the prefix ends where it starts.
  auto same_image_in = [](const PromptImage& image, std::span<const PromptImage> others) {
    return std::any_of(others.begin(), others.end(), [&](const PromptImage& o) {
      return o.position == image.position && o.embedding->key == image.embedding->key &&
             o.embedding->n_tokens == image.embedding->n_tokens;
    });
  };
  for (const PromptImage& image : images) {
    if (image.position < common && !same_image_in(image, images_)) common = image.position;
  }
  for (const PromptImage& image : images_) {
    if (image.position < common && !same_image_in(image, images)) common = image.position;
  }
  return common;
}

void Generator::check_images(std::span<const int32_t> tokens, std::span<const PromptImage> images) const {
  // Placeholders exactly where the images are.
  size_t next = 0;
  for (const PromptImage& image : images) {
    if (!image.embedding || image.embedding->n_tokens == 0 || image.position < next || image.end() > tokens.size()) {
      fail("image rows at positions {}.. do not fit the prompt of {} tokens (or overlap)", image.position,
           tokens.size());
    }
    if (image.embedding->width != model_.embedding_width() ||
        image.embedding->rows.size() != static_cast<size_t>(image.embedding->n_tokens) * image.embedding->width) {
      fail("image embedding of {}-wide rows does not fit the model's width {}", image.embedding->width,
           model_.embedding_width());
    }
    for (size_t i = next; i < image.position; ++i) {
      if (tokens[i] == kImageTokenId) fail("image placeholder at position {} has no image", i);
    }
    for (size_t i = image.position; i < image.end(); ++i) {
      if (tokens[i] != kImageTokenId) fail("position {} belongs to an image but holds token {}", i, tokens[i]);
    }
    next = image.end();
  }
  for (size_t i = next; i < tokens.size(); ++i) {
    if (tokens[i] == kImageTokenId) fail("image placeholder at position {} has no image", i);
  }
}

uint32_t Generator::begin_prompt(std::span<const int32_t> tokens, std::span<const PromptImage> images) {
  if (tokens.empty()) fail("the prompt is empty");
  if (tokens.size() > cache_.n_ctx() && !cache_.evicts()) {
    fail("the prompt has {} tokens but the context holds {} (use a larger context)", tokens.size(), cache_.n_ctx());
  }
  check_images(tokens, images);
  // Re-evaluate at least the last token: its logits are where generation starts.
  size_t keep = std::min(common_prefix(tokens, images), tokens.size() - 1);
  // Images are evaluated whole: never keep part of one.
  for (const PromptImage& image : images) {
    if (image.position < keep && keep < image.end()) keep = image.position;
  }
  if (!cache_.can_truncate(static_cast<uint32_t>(keep))) keep = 0;
  cache_.truncate(static_cast<uint32_t>(keep));
  std::vector<int32_t> next_tokens(tokens.begin(), tokens.end());  // `tokens` may be a view of tokens_
  std::vector<PromptImage> next_images(images.begin(), images.end());
  tokens_.swap(next_tokens);
  images_.swap(next_images);
  return static_cast<uint32_t>(keep);
}

void Generator::evaluate_pending(size_t max_tokens) {
  if (n_pending() > 0 && max_tokens > 0) evaluate_next(max_tokens, nullptr);
}

std::vector<std::string> Generator::evaluate_pending_together(std::span<Generator* const> generators,
                                                              std::span<const size_t> max_tokens) {
  std::vector<std::string> errors(generators.size());
  std::vector<Model::SequenceStep> steps;
  std::vector<size_t> stepping;  // the generator of each step
  for (size_t i = 0; i < generators.size(); ++i) {
    Generator& g = *generators[i];
    if (g.n_pending() == 0 || max_tokens[i] == 0) continue;
    try {
      // One forward pass for all: at most a micro-batch of each sequence's text.
      const std::span<const int32_t> chunk = g.next_text_chunk(std::min<size_t>(max_tokens[i], g.n_ubatch_));
      if (chunk.empty()) {
        g.evaluate_next(max_tokens[i], nullptr);  // an image, on its own
        continue;
      }
      const Model::SequenceStep step{&g.cache_, chunk, g.logits_.data()};
      g.model_.check_step(step);
      if (!steps.empty() && (&g.model_ != &generators[stepping[0]]->model_ || &g.pool_ != &generators[stepping[0]]->pool_)) {
        fail("generators evaluated together must share the model and the thread pool");
      }
      steps.push_back(step);
      stepping.push_back(i);
    } catch (const std::exception& e) {
      errors[i] = e.what();
      g.forget();
    }
  }
  if (steps.empty()) return errors;
  Generator& lead = *generators[stepping[0]];
  try {
    lead.model_.eval_batch(steps, lead.pool_);
  } catch (const std::exception& e) {
    for (size_t i : stepping) {
      errors[i] = e.what();
      generators[i]->forget();
    }
  }
  return errors;
}

void Generator::append(int32_t token) {
  if (tokens_.size() >= cache_.n_ctx() && !cache_.evicts()) fail("the context of {} tokens is full", cache_.n_ctx());
  tokens_.push_back(token);
}

void Generator::set_prompt(std::span<const int32_t> tokens, ModelTrace* trace) { set_prompt(tokens, {}, trace); }

void Generator::set_prompt(std::span<const int32_t> tokens, std::span<const PromptImage> images, ModelTrace* trace) {
  const auto start = Clock::now();
  const uint32_t keep = begin_prompt(tokens, images);
  while (n_pending() > 0) evaluate_next(tokens_.size(), trace);
  stats_ = GenerationStats{};
  stats_.prompt_tokens_reused = static_cast<uint32_t>(keep);
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
