#include "server/slot.h"

#include <algorithm>

namespace edgelm::server {

Slot::Slot(const Model& model, ThreadPool& pool, const Tokenizer& tokenizer, uint32_t n_ctx, uint32_t n_ubatch)
    : tokenizer_(tokenizer), generator_(model, pool, n_ctx, n_ubatch) {}

size_t Slot::shared_prefix(std::span<const int32_t> prompt) const {
  const std::span<const int32_t> cached = generator_.tokens();
  const size_t n = std::min(cached.size(), prompt.size());
  return static_cast<size_t>(std::mismatch(prompt.begin(), prompt.begin() + static_cast<std::ptrdiff_t>(n),
                                           cached.begin())
                                 .first -
                             prompt.begin());
}

void Slot::start(Job job, uint64_t tick) {
  job_ = std::move(job);
  last_started_ = tick;
  planned_ = 0;
  generated_ = 0;
  try {
    reused_ = generator_.begin_prompt(job_->prompt, job_->images);
    sampler_.emplace(job_->sampling, static_cast<uint32_t>(tokenizer_.n_vocab()));
    for (int32_t t : job_->prompt) {
      if (t != kImageTokenId) sampler_->accept(t);  // the penalties see the prompt, as in llama.cpp
    }
    text_.emplace(tokenizer_, job_->stops, job_->split_thoughts);
  } catch (const std::exception& e) {
    finish(Finish::error, e.what());
    return;
  }
  if (job_->max_tokens == 0) finish(Finish::length);
}

void Slot::advance() {
  if (!busy()) return;
  if (job_->channel->cancelled()) {
    finish(Finish::cancelled);
    return;
  }
  if (generator_.n_pending() > 0) return;  // the prompt is still being evaluated
  const int32_t id = sampler_->sample(generator_.logits());
  sampler_->accept(id);
  generator_.append(id);
  ++generated_;
  if (tokenizer_.is_eog(id)) {
    finish(Finish::stop);
    return;
  }
  const ReplyStream::Chunk chunk = text_->push(id);
  job_->channel->publish(chunk.thought, chunk.answer);
  if (chunk.stopped) {
    finish(Finish::stop);
  } else if (job_->max_tokens >= 0 && generated_ >= static_cast<uint32_t>(job_->max_tokens)) {
    finish(Finish::length);
  } else if (generator_.tokens().size() >= generator_.n_ctx()) {
    finish(Finish::length);
  }
}

void Slot::abort(Finish finish_as, const std::string& error) {
  if (busy()) finish(finish_as, error);
}

void Slot::finish(Finish finish_as, const std::string& error) {
  if (finish_as == Finish::stop || finish_as == Finish::length) {
    const ReplyStream::Chunk rest = text_->flush();
    job_->channel->publish(rest.thought, rest.answer);
  }
  last_finish_ = finish_as;
  Outcome outcome;
  outcome.finish = finish_as;
  outcome.error = error;
  outcome.usage.prompt_tokens = static_cast<uint32_t>(job_->prompt.size());
  outcome.usage.completion_tokens = generated_;
  outcome.usage.cached_tokens = reused_;
  job_->channel->finish(std::move(outcome));
  job_.reset();
  sampler_.reset();
  text_.reset();
  planned_ = 0;
}

}  // namespace edgelm::server
