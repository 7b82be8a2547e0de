#include "chat/reply_stream.h"

namespace edgelm {

ReplyStream::ReplyStream(const Tokenizer& tokenizer, std::vector<std::string> stops, bool render_special)
    : render_special_(render_special),
      decoder_(tokenizer, render_special),
      stops_(std::move(stops)),
      channel_open_(tokenizer.find_token("<|channel>")),
      channel_close_(tokenizer.find_token("<channel|>")) {}

void ReplyStream::emit_text(std::string text, Chunk& out) {
  if (text.empty()) return;
  if (in_thought_) {
    if (label_pos_ != kLabelDone) {
      // The channel's name line "thought\n" is not shown; it may arrive in pieces.
      static constexpr std::string_view kLabel = "thought\n";
      size_t i = 0;
      while (i < text.size() && label_pos_ < kLabel.size() && text[i] == kLabel[label_pos_]) ++i, ++label_pos_;
      if (label_pos_ == kLabel.size()) {
        text.erase(0, i);
        label_pos_ = kLabelDone;
      } else if (i == text.size()) {
        return;  // all of it may still be the label
      } else {
        // Not the label after all: give back what was taken for it.
        text = std::string(kLabel.substr(0, label_pos_ - i)) + text;
        label_pos_ = kLabelDone;
      }
    }
    thought_ += text;
    out.thought += text;
    return;
  }
  StopMatcher::Step step = stops_.feed(text);
  answer_ += step.text;
  out.answer += step.text;
  out.stopped = step.stopped;
}

ReplyStream::Chunk ReplyStream::push(int32_t id) {
  Chunk out;
  if (stops_.stopped()) {
    out.stopped = true;
    return out;
  }
  if (!render_special_ && (id == channel_open_ || id == channel_close_)) {
    emit_text(decoder_.flush(), out);  // text before the marker belongs to the old side
    in_thought_ = id == channel_open_;
    label_pos_ = in_thought_ ? 0 : kLabelDone;
    return out;
  }
  emit_text(decoder_.push(id), out);
  return out;
}

ReplyStream::Chunk ReplyStream::flush() {
  Chunk out;
  emit_text(decoder_.flush(), out);
  if (!in_thought_ && !stops_.stopped()) {
    std::string rest = stops_.flush();
    answer_ += rest;
    out.answer += rest;
  }
  out.stopped = stops_.stopped();
  return out;
}

}  // namespace edgelm
