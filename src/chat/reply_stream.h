#pragma once
// A model's reply as it streams: token ids in, text out, split into the thought
// channel (Gemma 4's `<|channel>thought\n…<channel|>`, reasoning shown apart from the
// answer) and the answer, with user stop strings cut from the answer. Text comes out
// in whole UTF-8 characters. Shared by `run`, `chat` and the server.
#include <cstdint>
#include <cstddef>
#include <string_view>
#include <optional>
#include <string>
#include <vector>

#include "sample/stop_strings.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace edgelm {

class ReplyStream {
 public:
  struct Chunk {
    std::string thought;  // new reasoning text
    std::string answer;   // new answer text
    bool stopped = false; // a stop string completed: generation should end
  };

  // `render_special`: control tokens appear in the text (as `<turn|>` etc.).
  ReplyStream(const Tokenizer& tokenizer, std::vector<std::string> stops, bool render_special = false);

  Chunk push(int32_t id);
  // What is held back at the end of the reply.
  Chunk flush();

  const std::string& answer() const { return answer_; }
  const std::string& thought() const { return thought_; }
  bool stopped() const { return stops_.stopped(); }

 private:
  void emit_text(std::string text, Chunk& out);

  bool render_special_;
  StreamDecoder decoder_;
  StopMatcher stops_;
  std::optional<int32_t> channel_open_, channel_close_;
  bool in_thought_ = false;
  static constexpr size_t kLabelDone = SIZE_MAX;
  size_t label_pos_ = kLabelDone;  // characters of the channel name seen so far
  std::string answer_, thought_;
};

}  // namespace edgelm
