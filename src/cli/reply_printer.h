#pragma once
// Prints a streaming reply: the answer on stdout as it arrives, the thought channel
// apart from it — dimmed under a "thinking" header on a terminal, or on stderr when
// `thoughts_to_stderr` (so `run`'s stdout stays the answer alone).
#include <cstdio>
#include <string>

#include "chat/reply_stream.h"

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

}  // namespace edgelm::cli
