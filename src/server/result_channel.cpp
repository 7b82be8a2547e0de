#include "server/result_channel.h"

namespace edgelm::server {

std::string_view finish_reason_text(Finish finish) {
  switch (finish) {
    case Finish::stop: return "stop";
    case Finish::length: return "length";
    case Finish::cancelled: return "cancelled";
    case Finish::error: return "error";
  }
  return "error";
}

void ResultChannel::publish(std::string_view thought, std::string_view answer) {
  if (thought.empty() && answer.empty()) return;
  {
    std::lock_guard lock(mutex_);
    thought_ += thought;
    answer_ += answer;
  }
  ready_.notify_all();
}

void ResultChannel::finish(Outcome outcome) {
  {
    std::lock_guard lock(mutex_);
    if (outcome_ || outcome_taken_) return;  // the first outcome stands
    outcome_ = std::move(outcome);
  }
  ready_.notify_all();
}

ResultChannel::Update ResultChannel::take(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return outcome_taken_ || outcome_ || !thought_.empty() || !answer_.empty(); });
  Update update;
  update.thought.swap(thought_);
  update.answer.swap(answer_);
  if (outcome_) {
    update.outcome = std::move(outcome_);
    outcome_.reset();
    outcome_taken_ = true;
  }
  return update;
}

}  // namespace edgelm::server
