#include "cli/reply_printer.h"

#include <unistd.h>

#include "cli/interrupt.h"

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

StreamedReply stream_reply(Generator& generator, Sampler& sampler, const Tokenizer& tokenizer,
                           const ReplySettings& settings) {
  ReplyStream stream(tokenizer, settings.stops);
  ReplyPrinter printer(settings.show_thoughts, settings.thoughts_to_stderr);
  GenerateOptions options;
  options.max_tokens = settings.max_tokens;
  options.is_eog = [&tokenizer](int32_t t) { return tokenizer.is_eog(t); };
  options.ignore_eog = settings.ignore_eog;
  options.cancel = &InterruptScope::flag();
  GenerateResult result = generator.generate(sampler, options, [&](int32_t t) {
    const ReplyStream::Chunk chunk = stream.push(t);
    printer.print(chunk);
    return !chunk.stopped;
  });
  printer.print(stream.flush());
  printer.finish();
  return {std::move(result), stream.answer()};
}

}  // namespace edgelm::cli
