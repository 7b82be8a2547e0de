#include "server/reply_formatter.h"

#include "server/api_error.h"

namespace edgelm::server {

ReplyFormatter::ReplyFormatter(Endpoint endpoint, bool stream, bool include_usage, ReplyIdentity who)
    : endpoint_(endpoint), stream_(stream), include_usage_(stream && include_usage), who_(std::move(who)) {}

std::string ReplyFormatter::chunk(ojson delta_or_text, std::optional<Finish> finish) {
  ojson out = endpoint_ == Endpoint::chat ? chat_chunk_json(who_, std::move(delta_or_text), finish)
                                          : text_completion_chunk_json(who_, delta_or_text.get<std::string>(), finish);
  // With include_usage every chunk carries "usage": null but the last.
  if (include_usage_) out["usage"] = nullptr;
  return sse_event(to_text(out));
}

std::string ReplyFormatter::close_stream(const Outcome& outcome) {
  std::string out;
  if (outcome.finish == Finish::error) {
    out += sse_event(to_text(ApiError(500, "generation failed: " + outcome.error).body()));
  } else {
    out += chunk(endpoint_ == Endpoint::chat ? ojson::object() : ojson(""), outcome.finish);
    if (include_usage_) {
      const char* object = endpoint_ == Endpoint::chat ? "chat.completion.chunk" : "text_completion";
      out += sse_event(to_text(usage_chunk_json(who_, object, outcome.usage)));
    }
  }
  out += kSseDone;
  return out;
}

std::string ReplyFormatter::format(const ResultChannel::Update& update) {
  if (done_) return "";
  const bool cancelled = update.outcome && update.outcome->finish == Finish::cancelled;
  if (cancelled) {  // nobody is listening any more
    done_ = true;
    return "";
  }
  if (!stream_) {
    thought_ += update.thought;
    answer_ += update.answer;
    if (!update.outcome) return "";
    done_ = true;
    const Outcome& outcome = *update.outcome;
    if (outcome.finish == Finish::error) return to_text(ApiError(500, "generation failed: " + outcome.error).body());
    return to_text(endpoint_ == Endpoint::chat ? chat_completion_json(who_, answer_, thought_, outcome)
                                               : text_completion_json(who_, answer_, outcome));
  }
  std::string out;
  if (!opened_ && endpoint_ == Endpoint::chat) out += chunk({{"role", "assistant"}, {"content", ""}}, std::nullopt);
  opened_ = true;
  if (endpoint_ == Endpoint::chat) {
    if (!update.thought.empty()) out += chunk({{"reasoning_content", update.thought}}, std::nullopt);
    if (!update.answer.empty()) out += chunk({{"content", update.answer}}, std::nullopt);
  } else {
    // A completion has no thought channel: everything is text.
    const std::string text = update.thought + update.answer;
    if (!text.empty()) out += chunk(ojson(text), std::nullopt);
  }
  if (update.outcome) {
    out += close_stream(*update.outcome);
    done_ = true;
  }
  return out;
}

}  // namespace edgelm::server
