#pragma once
// Serves generation requests from N slots on one thread, the only one that touches
// the model (it owns the ThreadPool the forward passes run on). HTTP threads submit
// jobs and read the replies from their channels; requests beyond the N slots wait in
// a first-come-first-served queue. Each step evaluates, for every busy slot at once
// (decode_step), either the token it sampled last or a chunk of its prompt, then
// samples the next tokens: new requests join between two tokens of the running ones
// (continuous batching) and a long prompt is evaluated in chunks between their steps.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/thread_pool.h"
#include "server/job.h"
#include "server/slot.h"

namespace edgelm::server {

struct SchedulerOptions {
  uint32_t n_slots = 1;
  uint32_t n_ctx = 4096;     // per slot
  uint32_t n_ubatch = 512;   // prompt tokens per forward micro-batch (and per chunk)
  uint32_t n_batch = 512;    // tokens one step evaluates over all slots (at least one chunk)
  int threads = 1;           // the model's thread pool
  size_t max_queued = 256;   // waiting requests beyond which submit() refuses (503)
};

struct SchedulerStats {
  uint32_t slots = 0;
  uint32_t busy = 0;
  size_t queued = 0;
  uint64_t completed = 0;  // requests ended, whatever the reason
  uint64_t cancelled = 0;  // of which ended because their client went away
};

class Scheduler {
 public:
  // The model and tokenizer must outlive the scheduler. Throws edgelm::Error on bad options.
  Scheduler(const Model& model, const Tokenizer& tokenizer, const SchedulerOptions& options);
  // Ends every request still queued or running (as errors: the server is stopping).
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a job; its reply arrives on job.channel. Throws ApiError (503) when the
  // queue is full.
  void submit(Job job);

  SchedulerStats stats() const;
  const SchedulerOptions& options() const { return options_; }

 private:
  void run();
  // Moves queued jobs into idle slots (under the lock); drops the cancelled ones.
  void admit_locked();
  void step();
  // Drops the slots whose requests ended from active_, counting them.
  void reap();
  void count_end(Finish finish);

  SchedulerOptions options_;
  ThreadPool pool_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> active_;  // busy slots, in the order they took their requests (scheduler thread only)
  uint64_t tick_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable work_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::atomic<uint32_t> busy_{0};
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> cancelled_{0};
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace edgelm::server
