#include "cli/interrupt.h"

#include <csignal>

namespace edgelm::cli {
namespace {

std::atomic<bool> g_interrupted{false};
struct sigaction g_previous{};

void on_sigint(int) {
  if (g_interrupted.exchange(true)) {
    // Second Ctrl-C before the first was handled: behave like an ordinary Ctrl-C.
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
}

}  // namespace

InterruptScope::InterruptScope() {
  g_interrupted = false;
  struct sigaction sa{};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking read returns EINTR
  sigaction(SIGINT, &sa, &g_previous);
}

InterruptScope::~InterruptScope() { sigaction(SIGINT, &g_previous, nullptr); }

const std::atomic<bool>& InterruptScope::flag() { return g_interrupted; }

bool InterruptScope::take() { return g_interrupted.exchange(false); }

}  // namespace edgelm::cli
