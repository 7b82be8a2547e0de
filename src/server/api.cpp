#include "server/api.h"

#include <fmt/format.h>

#include <chrono>
#include <random>

#include "chat/chat_prompt.h"
#include "server/api_error.h"
#include "util/error.h"
#include "vision/image_prompt.h"

namespace edgelm::server {

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Equal strings, compared in a time that does not depend on where they differ.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

Api::Api(ServedModel model, Scheduler& scheduler, std::string api_key)
    : model_(std::move(model)), scheduler_(scheduler), api_key_(std::move(api_key)) {
  if (model_.tokenizer == nullptr) fail("the API needs the model's tokenizer");
  limits_.n_vocab = static_cast<uint32_t>(model_.tokenizer->n_vocab());
  std::random_device random;
  id_prefix_ = fmt::format("{:08x}", random());
}

ApiReply Api::error_reply(const ApiError& error) {
  ApiReply reply;
  reply.status = error.status();
  reply.body = to_text(error.body());
  return reply;
}

bool Api::authorized(std::string_view authorization) const {
  if (api_key_.empty()) return true;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) != kBearer) return false;
  return same_secret(authorization.substr(kBearer.size()), api_key_);
}

ApiReply Api::handle(std::string_view method, std::string_view path, std::string_view authorization,
                     std::string_view body) {
  try {
    const auto route = [&](std::string_view want_method) {
      if (method != want_method) {
        throw ApiError(405, fmt::format("{} {} is not allowed; use {}", method, path, want_method), "",
                       "method_not_allowed");
      }
    };
    if (path == "/health") {
      route("GET");
      return health();
    }
    const bool known = path == "/v1/models" || path == "/v1/chat/completions" || path == "/v1/completions";
    if (!known) throw ApiError(404, fmt::format("Unknown request URL: {} {}", method, path), "", "unknown_url");
    if (!authorized(authorization)) {
      throw ApiError(401, "Invalid or missing API key: send it as 'Authorization: Bearer KEY'", "", "invalid_api_key");
    }
    if (path == "/v1/models") {
      route("GET");
      return models();
    }
    route("POST");
    return path == "/v1/chat/completions" ? chat(body) : completion(body);
  } catch (const ApiError& e) {
    return error_reply(e);
  }
}

ApiReply Api::health() const {
  const SchedulerStats s = scheduler_.stats();
  const nlohmann::ordered_json body = {{"status", "ok"},
                                       {"slots_idle", s.slots - s.busy},
                                       {"slots_processing", s.busy},
                                       {"requests_queued", s.queued},
                                       {"requests_completed", s.completed},
                                       {"requests_cancelled", s.cancelled}};
  ApiReply reply;
  reply.body = to_text(body);
  return reply;
}

ApiReply Api::models() const {
  ApiReply reply;
  reply.body = to_text(model_list_json(model_.id, model_.created));
  return reply;
}

ApiReply Api::chat(std::string_view body) {
  ChatRequest request = parse_chat_request(body, limits_);
  ChatRenderOptions options;
  options.add_generation_prompt = true;
  options.enable_thinking = request.enable_thinking;
  options.bos_token = model_.special.bos;
  options.eos_token = model_.special.eos;
  std::string text;
  try {
    text = render_chat(model_.chat_template, request.messages, request.tools, options);
  } catch (const Error& e) {
    throw invalid_field("messages", fmt::format("the model's chat template cannot render these messages: {}", e.what()));
  }
  if (request.images.empty()) {
    return generate(Endpoint::chat, encode_chat_prompt(*model_.tokenizer, model_.special.bos, text),
                    std::move(request.generation), /*split_thoughts=*/true);
  }
  TokenizedPrompt prompt;
  try {
    prompt = tokenize_with_images(text, embed_images(request.images), *model_.tokenizer, model_.special.bos);
  } catch (const ApiError&) {
    throw;
  } catch (const Error& e) {
    throw invalid_field("messages", e.what());
  }
  return generate(Endpoint::chat, std::move(prompt.tokens), std::move(request.generation), /*split_thoughts=*/true,
                  std::move(prompt.images));
}

std::vector<std::shared_ptr<const ImageEmbedding>> Api::embed_images(const std::vector<std::vector<uint8_t>>& images) {
  if (model_.images == nullptr) {
    throw invalid_field("messages", "this server has no vision encoder for image parts (start it with --mmproj FILE)");
  }
  std::vector<std::shared_ptr<const ImageEmbedding>> out;
  for (size_t i = 0; i < images.size(); ++i) {
    try {
      out.push_back(model_.images->embed(images[i], fmt::format("image {}", i + 1)));
    } catch (const Error& e) {
      throw invalid_field("messages", e.what());
    }
  }
  return out;
}

ApiReply Api::completion(std::string_view body) {
  CompletionRequest request = parse_completion_request(body, limits_);
  std::vector<int32_t> prompt;
  if (const auto* text = std::get_if<std::string>(&request.prompt)) {
    prompt = model_.tokenizer->encode(*text, /*add_special=*/true, /*parse_special=*/true);
  } else {
    prompt = std::get<std::vector<int32_t>>(request.prompt);
  }
  return generate(Endpoint::completion, std::move(prompt), std::move(request.generation), /*split_thoughts=*/false);
}

ApiReply Api::generate(Endpoint endpoint, std::vector<int32_t> prompt, GenerationRequest generation,
                       bool split_thoughts, std::vector<PromptImage> images) {
  const uint32_t n_ctx = scheduler_.options().n_ctx;
  if (prompt.empty()) throw invalid_field("prompt", "the prompt is empty");
  if (prompt.size() >= n_ctx) {
    throw ApiError(400,
                   fmt::format("This model's context is {} tokens per request; the prompt has {} tokens, which "
                               "leaves no room for a reply. Shorten the prompt (or start the server with a larger "
                               "--ctx).",
                               n_ctx, prompt.size()),
                   endpoint == Endpoint::chat ? "messages" : "prompt", "context_length_exceeded");
  }
  try {
    generation.sampling.validate(limits_.n_vocab);
  } catch (const Error& e) {
    throw ApiError(400, e.what());
  }
  Job job;
  job.prompt = std::move(prompt);
  job.images = std::move(images);
  job.sampling = std::move(generation.sampling);
  job.stops = std::move(generation.stops);
  job.max_tokens = generation.max_tokens;
  job.split_thoughts = split_thoughts;
  job.channel = std::make_shared<ResultChannel>();

  ReplyIdentity who;
  who.id = fmt::format("{}-{}{:x}", endpoint == Endpoint::chat ? "chatcmpl" : "cmpl", id_prefix_, ++next_id_);
  who.created = unix_now();
  who.model = model_.id;

  ApiReply reply;
  reply.channel = job.channel;
  reply.formatter = std::make_shared<ReplyFormatter>(endpoint, generation.stream, generation.include_usage, who);
  reply.content_type = reply.formatter->content_type();
  scheduler_.submit(std::move(job));
  return reply;
}

}  // namespace edgelm::server
