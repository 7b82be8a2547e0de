#pragma once
// The OpenAI-compatible API without the HTTP transport: a request (method, path,
// Authorization header, body) in, a reply out. Validation, the chat template,
// tokenization and the context check happen here, on the caller's (HTTP) thread;
// generation is queued on the scheduler and the reply then streams from its channel,
// formatted by the reply's formatter. Routes:
//   GET  /health                 {"status": "ok", slots and queue}  (no API key needed)
//   GET  /v1/models              the one model served
//   POST /v1/chat/completions    chat through the model's template (stream or not); image_url
//                                parts (data: URLs) with a vision encoder
//   POST /v1/completions         raw text continuation (stream or not)
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "chat/chat_template.h"
#include "server/api_error.h"
#include "server/reply_formatter.h"
#include "server/request.h"
#include "server/result_channel.h"
#include "server/scheduler.h"
#include "tokenizer/tokenizer.h"
#include "vision/image_embedder.h"

namespace edgelm::server {

struct ServedModel {
  std::string id;               // what /v1/models lists and replies name
  const Tokenizer* tokenizer = nullptr;
  std::string chat_template;    // the GGUF's, or an override
  SpecialTokenText special;     // BOS/EOS text for the template
  int64_t created = 0;          // Unix seconds (the file's time)
  ImageEmbedder* images = nullptr;  // the vision encoder (--mmproj); null: image parts are refused
};

struct ApiReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;  // the whole body, when there is no channel
  // A generation: the body comes from the channel through the formatter.
  std::shared_ptr<ResultChannel> channel;
  std::shared_ptr<ReplyFormatter> formatter;
};

class Api {
 public:
  // `api_key` empty: no key needed. The tokenizer and scheduler must outlive the Api.
  Api(ServedModel model, Scheduler& scheduler, std::string api_key);

  ApiReply handle(std::string_view method, std::string_view path, std::string_view authorization,
                  std::string_view body);

  static ApiReply error_reply(const ApiError& error);

 private:
  ApiReply chat(std::string_view body);
  ApiReply completion(std::string_view body);
  ApiReply health() const;
  ApiReply models() const;
  // Checks the prompt against the context, queues the job, returns the streaming reply.
  ApiReply generate(Endpoint endpoint, std::vector<int32_t> prompt, GenerationRequest generation, bool split_thoughts,
                    std::vector<PromptImage> images = {});
  // The embeddings of a request's images (400 naming the image when one is bad).
  std::vector<std::shared_ptr<const ImageEmbedding>> embed_images(const std::vector<std::vector<uint8_t>>& images);
  bool authorized(std::string_view authorization) const;

  ServedModel model_;
  Scheduler& scheduler_;
  std::string api_key_;
  RequestLimits limits_;
  std::string id_prefix_;
  std::atomic<uint64_t> next_id_{0};
};

}  // namespace edgelm::server
