#include "cli/reply_printer.h"

#include <unistd.h>

namespace edgelm::cli {

ReplyPrinter::ReplyPrinter(bool show_thoughts, bool thoughts_to_stderr)
    : show_thoughts_(show_thoughts),
      to_stderr_(thoughts_to_stderr),
      styled_(isatty(thoughts_to_stderr ? STDERR_FILENO : STDOUT_FILENO) == 1) {}

void ReplyPrinter::print(const ReplyStream::Chunk& chunk) {
  FILE* thought_out = to_stderr_ ? stderr : stdout;
  if (show_thoughts_ && !chunk.thought.empty()) {
    if (!in_thought_) {
      std::fputs(styled_ ? "\033[2m[thinking]\n" : "[thinking]\n", thought_out);
      in_thought_ = true;
    }
    std::fputs(chunk.thought.c_str(), thought_out);
    std::fflush(thought_out);
  }
  if (!chunk.answer.empty()) {
    finish();
    std::fputs(chunk.answer.c_str(), stdout);
    std::fflush(stdout);
  }
}

void ReplyPrinter::finish() {
  if (!in_thought_) return;
  FILE* thought_out = to_stderr_ ? stderr : stdout;
  std::fputs(styled_ ? "\n[/thinking]\033[0m\n" : "\n[/thinking]\n", thought_out);
  std::fflush(thought_out);
  in_thought_ = false;
}

}  // namespace edgelm::cli
