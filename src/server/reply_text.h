#pragma once
// Token ids to the text of one request's reply, with its stop strings cut: the chat
// endpoint splits Gemma 4's thought channel from the answer (ReplyStream); the
// completions endpoint continues raw text, so its reply is all answer (control tokens
// are not shown, as in llama.cpp's server).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chat/reply_stream.h"
#include "sample/stop_strings.h"
#include "tokenizer/stream_decoder.h"

namespace edgelm::server {

class ReplyText {
 public:
  ReplyText(const Tokenizer& tokenizer, std::vector<std::string> stops, bool split_thoughts);

  ReplyStream::Chunk push(int32_t id);
  ReplyStream::Chunk flush();  // what is held back at the end of the reply

 private:
  std::optional<ReplyStream> chat_;
  std::optional<StreamDecoder> decoder_;
  std::optional<StopMatcher> stops_;
};

}  // namespace edgelm::server
