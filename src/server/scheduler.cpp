#include "server/scheduler.h"

#include <algorithm>

#include "server/api_error.h"
#include "server/decode_step.h"
#include "server/step_plan.h"
#include "util/error.h"

namespace edgelm::server {

namespace {

const SchedulerOptions& checked(const SchedulerOptions& o) {
  if (o.n_slots == 0) fail("the server needs at least one slot");
  if (o.n_ubatch == 0 || o.n_batch == 0) fail("the micro-batch and batch sizes must be positive");
  if (o.threads <= 0) fail("the model needs at least one thread");
  return o;
}

void end_job(Job& job, const std::string& why) {
  Outcome outcome;
  outcome.finish = job.channel->cancelled() ? Finish::cancelled : Finish::error;
  outcome.error = why;
  outcome.usage.prompt_tokens = static_cast<uint32_t>(job.prompt.size());
  job.channel->finish(std::move(outcome));
}

}  // namespace

Scheduler::Scheduler(const Model& model, const Tokenizer& tokenizer, const SchedulerOptions& options)
    : options_(checked(options)), pool_(options.threads) {
  for (uint32_t i = 0; i < options_.n_slots; ++i) {
    slots_.push_back(std::make_unique<Slot>(model, pool_, tokenizer, options_.n_ctx, options_.n_ubatch));
  }
  thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  thread_.join();
  for (Job& job : queue_) end_job(job, "the server is shutting down");
  for (const auto& slot : slots_) slot->abort(Finish::error, "the server is shutting down");
}

void Scheduler::submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.max_queued) {
      throw ApiError(503, "the server is busy: too many requests are waiting; try again later", "", "server_busy");
    }
    queue_.push_back(std::move(job));
  }
  work_.notify_one();
}

SchedulerStats Scheduler::stats() const {
  SchedulerStats s;
  s.slots = options_.n_slots;
  s.busy = busy_.load();
  s.completed = completed_.load();
  s.cancelled = cancelled_.load();
  std::lock_guard lock(mutex_);
  s.queued = queue_.size();
  return s;
}

void Scheduler::admit_locked() {
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->channel->cancelled()) {
      end_job(*it, "cancelled");
      count_end(Finish::cancelled);
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  while (!queue_.empty()) {
    std::vector<SlotCandidate> candidates;
    for (const auto& slot : slots_) {
      SlotCandidate c;
      c.idle = !slot->busy();
      c.shared_prefix = c.idle ? slot->shared_prefix(queue_.front().prompt) : 0;
      c.cached_tokens = slot->generator().tokens().size();
      c.last_started = slot->last_started();
      candidates.push_back(c);
    }
    const int chosen = choose_slot(candidates);
    if (chosen < 0) return;
    Slot* slot = slots_[static_cast<size_t>(chosen)].get();
    slot->start(std::move(queue_.front()), ++tick_);
    queue_.pop_front();
    if (slot->busy()) {
      active_.push_back(slot);
      busy_.fetch_add(1);
    } else {
      count_end(slot->last_finish());  // ended at once (max_tokens 0, or it could not start)
    }
  }
}

void Scheduler::run() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      work_.wait(lock, [&] { return stopping_ || !queue_.empty() || !active_.empty(); });
      if (stopping_) return;
      admit_locked();
    }
    if (!active_.empty()) step();
  }
}

void Scheduler::step() {
  // A request whose client went away ends before it costs another evaluation.
  for (Slot* slot : active_) {
    if (slot->cancelled()) slot->abort(Finish::cancelled);
  }
  reap();
  if (active_.empty()) return;
  std::vector<size_t> pending;
  for (Slot* slot : active_) pending.push_back(slot->n_pending());
  const std::vector<uint32_t> plan = plan_step(pending, options_.n_ubatch, options_.n_batch);
  for (size_t i = 0; i < active_.size(); ++i) active_[i]->set_planned(plan[i]);
  decode_step(active_);
  for (Slot* slot : active_) {
    try {
      slot->advance();
    } catch (const std::exception& e) {
      slot->abort(Finish::error, e.what());
    }
  }
  reap();
}

void Scheduler::reap() {
  const auto done = std::stable_partition(active_.begin(), active_.end(), [](Slot* s) { return s->busy(); });
  for (auto it = done; it != active_.end(); ++it) {
    count_end((*it)->last_finish());
    busy_.fetch_sub(1);
  }
  active_.erase(done, active_.end());
}

void Scheduler::count_end(Finish finish) {
  if (finish == Finish::cancelled) cancelled_.fetch_add(1);
  completed_.fetch_add(1);
}

}  // namespace edgelm::server
