#pragma once
// Prints a streaming reply: the answer on stdout as it arrives, the thought channel
// apart from it — dimmed under a "thinking" header on a terminal, or on stderr when
// `thoughts_to_stderr` (so `run`'s stdout stays the answer alone).
#include <cstdio>
#include <string>

#include "chat/reply_stream.h"
#include "runtime/generator.h"
#include "tokenizer/tokenizer.h"

namespace edgelm::cli {

class ReplyPrinter {
 public:
  ReplyPrinter(bool show_thoughts, bool thoughts_to_stderr);
  void print(const ReplyStream::Chunk& chunk);
  // Ends an open thought block (call at the end of the reply).
  void finish();

 private:
  bool show_thoughts_, to_stderr_, styled_;
  bool in_thought_ = false;
};

struct ReplySettings {
  std::vector<std::string> stops;
  int max_tokens = -1;
  bool ignore_eog = false;
  bool show_thoughts = false;
  bool thoughts_to_stderr = false;
};

struct StreamedReply {
  GenerateResult result;
  std::string answer;  // the answer text (thoughts and stop string excluded)
};

// Generates the reply to the generator's current prompt and prints it as it streams;
// stops at the tokenizer's end-of-generation tokens, a stop string, max_tokens or a
// Ctrl-C (InterruptScope).
StreamedReply stream_reply(Generator& generator, Sampler& sampler, const Tokenizer& tokenizer,
                           const ReplySettings& settings);

}  // namespace edgelm::cli
