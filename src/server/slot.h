#pragma once
// One of the server's N sequences: its own generator (KV cache and the tokens in it),
// and for the request it serves a sampler, the reply text (stop strings, thoughts) and
// the output channel. Between requests the slot keeps its cache, so the next turn of
// the same conversation routed here evaluates only what is new.
//
// A request goes through the slot in steps the scheduler drives: start() cuts the
// cache back to the prompt's longest cached prefix; each step decode_step() evaluates
// the tokens the plan gave the slot (a chunk of the prompt, or the token sampled last
// step) and advance() samples the next token once the whole sequence is evaluated,
// streams its text and ends the request when it is over.
#include <cstdint>
#include <optional>
#include <span>

#include "runtime/generator.h"
#include "sample/sampler.h"
#include "server/job.h"
#include "server/reply_text.h"

namespace edgelm::server {

class Slot {
 public:
  Slot(const Model& model, ThreadPool& pool, const Tokenizer& tokenizer, uint32_t n_ctx, uint32_t n_ubatch);

  bool busy() const { return job_.has_value(); }
  // The request's client went away.
  bool cancelled() const { return busy() && job_->channel->cancelled(); }
  // Leading tokens of `prompt` the slot's sequence holds (what start() would reuse,
  // before the sliding window's limits).
  size_t shared_prefix(std::span<const int32_t> prompt) const;
  // When the slot last took a request (0: never); routing prefers idle slots unused longest.
  uint64_t last_started() const { return last_started_; }
  // How the slot's last request ended.
  Finish last_finish() const { return last_finish_; }

  // Takes a request; `tick` orders the slots by admission. Evaluates nothing.
  void start(Job job, uint64_t tick);

  // Tokens of the sequence not yet evaluated, and how many this step evaluates (the
  // scheduler's plan). decode_step evaluates them through generator().
  size_t n_pending() const { return generator_.n_pending(); }
  void set_planned(uint32_t n) { planned_ = n; }
  uint32_t planned() const { return planned_; }
  Generator& generator() { return generator_; }

  // After a step: ends a cancelled request; once the sequence is evaluated, samples
  // and streams the next token and ends the request at its end.
  void advance();
  // Ends the request now (cancelled, or an error with its message).
  void abort(Finish finish, const std::string& error = "");

 private:
  void finish(Finish finish, const std::string& error = "");

  const Tokenizer& tokenizer_;
  Generator generator_;
  std::optional<Job> job_;
  std::optional<Sampler> sampler_;
  std::optional<ReplyText> text_;
  uint32_t planned_ = 0;
  uint32_t reused_ = 0;
  uint32_t generated_ = 0;
  uint64_t last_started_ = 0;
  Finish last_finish_ = Finish::stop;
};

}  // namespace edgelm::server
