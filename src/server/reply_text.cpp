#include "server/reply_text.h"

namespace edgelm::server {

ReplyText::ReplyText(const Tokenizer& tokenizer, std::vector<std::string> stops, bool split_thoughts) {
  if (split_thoughts) {
    chat_.emplace(tokenizer, std::move(stops));
  } else {
    decoder_.emplace(tokenizer, /*render_special=*/false);
    stops_.emplace(std::move(stops));
  }
}

ReplyStream::Chunk ReplyText::push(int32_t id) {
  if (chat_) return chat_->push(id);
  ReplyStream::Chunk chunk;
  StopMatcher::Step step = stops_->feed(decoder_->push(id));
  chunk.answer = std::move(step.text);
  chunk.stopped = step.stopped;
  return chunk;
}

ReplyStream::Chunk ReplyText::flush() {
  if (chat_) return chat_->flush();
  ReplyStream::Chunk chunk;
  StopMatcher::Step step = stops_->feed(decoder_->flush());
  chunk.answer = std::move(step.text);
  if (!step.stopped) chunk.answer += stops_->flush();
  chunk.stopped = stops_->stopped();
  return chunk;
}

}  // namespace edgelm::server
