#pragma once
// The hand-over between the scheduler thread, which generates a reply, and the HTTP
// thread that sends it: text arrives as it is generated, then one outcome. The HTTP
// side takes everything that has piled up at once (a slow client gets larger pieces,
// never an unbounded queue of small ones), and cancels when its client goes away.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace edgelm::server {

struct Usage {
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
  uint32_t cached_tokens = 0;  // prompt tokens whose KV was already in the slot
};

enum class Finish {
  stop,       // the model ended its turn, or a stop string completed
  length,     // max_tokens, or the context is full
  cancelled,  // the client went away
  error,      // generation failed (`Outcome::error` says why)
};

// "stop" / "length" as OpenAI's finish_reason (cancelled and error have none).
std::string_view finish_reason_text(Finish finish);

struct Outcome {
  Finish finish = Finish::stop;
  Usage usage;
  std::string error;  // Finish::error only
};

class ResultChannel {
 public:
  struct Update {
    std::string thought;  // new reasoning text (Gemma 4's thought channel)
    std::string answer;   // new answer text
    std::optional<Outcome> outcome;  // set once, with the last text
  };

  // Scheduler side.
  void publish(std::string_view thought, std::string_view answer);
  void finish(Outcome outcome);

  // HTTP side: waits up to `timeout` for text or the outcome and takes what is there
  // (possibly nothing). After the outcome has been taken, returns at once, empty.
  Update take(std::chrono::milliseconds timeout);

  // Either side: the reply is no longer wanted. The scheduler stops generating it at
  // its next step and finishes it as cancelled.
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  const std::atomic<bool>& cancel_flag() const { return cancelled_; }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::string thought_, answer_;
  std::optional<Outcome> outcome_;
  bool outcome_taken_ = false;
  std::atomic<bool> cancelled_{false};
};

}  // namespace edgelm::server
