#pragma once
// Ctrl-C while a model generates stops that answer, not the program: while an
// InterruptScope lives, SIGINT only raises a flag the generation loop polls. A second
// Ctrl-C before the first was taken care of ends the program as usual (a stuck loop can
// always be killed). SIGINT also interrupts a blocking read of the next chat line
// (no SA_RESTART), so the chat can tell "Ctrl-C at the prompt" from end of input.
#include <atomic>

namespace edgelm::cli {

class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

  // The flag a generation loop polls; cleared by take().
  static const std::atomic<bool>& flag();
  // True once after each Ctrl-C.
  static bool take();
};

}  // namespace edgelm::cli
