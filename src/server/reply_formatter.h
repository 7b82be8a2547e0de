#pragma once
// Turns what a ResultChannel delivers into the bytes of the HTTP response body:
//   streaming: server-sent events, one chunk object per piece of text, a last chunk
//   with the finish reason, a usage chunk when asked (stream_options.include_usage),
//   then `data: [DONE]`; an error after the stream began is an event {"error": …}
//   (the official clients raise it) before [DONE];
//   not streaming: nothing until the outcome, then the whole completion object.
#include <string>

#include "server/openai_json.h"
#include "server/result_channel.h"

namespace edgelm::server {

enum class Endpoint { chat, completion };

class ReplyFormatter {
 public:
  ReplyFormatter(Endpoint endpoint, bool stream, bool include_usage, ReplyIdentity who);

  // Bytes to send now (possibly none). The first call of a chat stream always opens it
  // with the assistant's role, so the client sees the reply begin at once.
  std::string format(const ResultChannel::Update& update);
  // The outcome has been formatted: nothing more to send.
  bool done() const { return done_; }
  const char* content_type() const { return stream_ ? "text/event-stream" : "application/json"; }

 private:
  std::string chunk(ojson delta_or_text, std::optional<Finish> finish);
  std::string close_stream(const Outcome& outcome);

  Endpoint endpoint_;
  bool stream_, include_usage_;
  ReplyIdentity who_;
  bool opened_ = false, done_ = false;
  std::string thought_, answer_;  // not streaming: the reply so far
};

}  // namespace edgelm::server
