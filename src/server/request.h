#pragma once
// Parsing and validating the bodies of POST /v1/chat/completions and /v1/completions.
// Known fields are type- and range-checked (a wrong one is a 400 naming it, as OpenAI
// does); unknown fields are ignored, since real clients send extras (`user`,
// `metadata`, ...); a null value counts as an absent field.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sample/sampling_params.h"

namespace edgelm::server {

// What both endpoints share: how to sample and when to stop.
struct GenerationRequest {
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage: a last chunk with `usage`
  int32_t max_tokens = -1;     // -1: until the model ends its turn or the context is full
  SamplingParams sampling;     // llama.cpp's defaults where the request says nothing
  std::vector<std::string> stops;
};

struct ChatRequest {
  // Ready for the chat template (normalize_messages); each image part has become a text
  // part holding the image marker (vision/image_prompt.h), in the order of `images`.
  nlohmann::ordered_json messages;
  std::vector<std::vector<uint8_t>> images;  // the image parts' bytes (data: URLs decoded)
  nlohmann::ordered_json tools;     // null, or the request's non-empty `tools` array
  bool enable_thinking = false;     // chat_template_kwargs.enable_thinking (Gemma 4 thinking mode)
  GenerationRequest generation;
};

struct CompletionRequest {
  std::variant<std::string, std::vector<int32_t>> prompt;  // text, or token ids
  GenerationRequest generation;
};

struct RequestLimits {
  uint32_t n_vocab = 0;        // token ids (logit_bias keys, prompt ids) must be below it
  size_t max_stops = 16;
  size_t max_stop_bytes = 1024;
  int max_depth = 64;          // deeper JSON nesting is refused before it is built
};

// Throw ApiError (400) naming the field at fault.
ChatRequest parse_chat_request(std::string_view body, const RequestLimits& limits);
CompletionRequest parse_completion_request(std::string_view body, const RequestLimits& limits);

// The body as a JSON object (400 when it is not valid JSON, nested deeper than
// `max_depth`, or not an object).
nlohmann::ordered_json parse_body(std::string_view body, int max_depth);

}  // namespace edgelm::server
