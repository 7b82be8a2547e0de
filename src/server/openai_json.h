#pragma once
// The JSON shapes of OpenAI's API that the server answers with, and server-sent
// events (SSE) framing for the streamed ones:
//   chat.completion / chat.completion.chunk     POST /v1/chat/completions
//   text_completion (whole, and per chunk)      POST /v1/completions
//   list of models                              GET /v1/models
// Reasoning text (Gemma 4's thought channel) goes in `reasoning_content`, beside
// `content`, as llama.cpp's and DeepSeek's servers send it.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/result_channel.h"

namespace edgelm::server {

using ojson = nlohmann::ordered_json;

// What every object of one reply repeats.
struct ReplyIdentity {
  std::string id;       // "chatcmpl-…" or "cmpl-…"
  int64_t created = 0;  // Unix seconds
  std::string model;
};

ojson usage_json(const Usage& usage);

// `thought` empty: no reasoning_content field.
ojson chat_completion_json(const ReplyIdentity& who, const std::string& answer, const std::string& thought,
                           const Outcome& outcome);
// One streamed piece: `delta` (e.g. {"content": "..."}), and the finish reason in the last one.
ojson chat_chunk_json(const ReplyIdentity& who, ojson delta, std::optional<Finish> finish);
ojson text_completion_json(const ReplyIdentity& who, const std::string& text, const Outcome& outcome);
ojson text_completion_chunk_json(const ReplyIdentity& who, const std::string& text, std::optional<Finish> finish);
// The last chunk of a stream with stream_options.include_usage: no choices, the usage.
ojson usage_chunk_json(const ReplyIdentity& who, std::string_view object, const Usage& usage);
ojson model_list_json(const std::string& model, int64_t created);

// Compact JSON text; any ill-formed UTF-8 becomes U+FFFD rather than an exception.
std::string to_text(const ojson& value);
std::string to_text(const nlohmann::json& value);

// One SSE event carrying `data` (one line: JSON never holds a raw newline).
std::string sse_event(const std::string& data);
// The event that ends an OpenAI stream.
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

}  // namespace edgelm::server
