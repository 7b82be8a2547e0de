#include "server/openai_json.h"

namespace edgelm::server {

namespace {

ojson finish_json(std::optional<Finish> finish) {
  if (!finish) return nullptr;
  return std::string(finish_reason_text(*finish));
}

ojson header(const ReplyIdentity& who, std::string_view object) {
  return {{"id", who.id}, {"object", object}, {"created", who.created}, {"model", who.model}};
}

}  // namespace

ojson usage_json(const Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", usage.cached_tokens}}}};
}

ojson chat_completion_json(const ReplyIdentity& who, const std::string& answer, const std::string& thought,
                           const Outcome& outcome) {
  ojson message = {{"role", "assistant"}, {"content", answer}};
  if (!thought.empty()) message["reasoning_content"] = thought;
  ojson out = header(who, "chat.completion");
  out["choices"] = ojson::array(
      {{{"index", 0}, {"message", std::move(message)}, {"logprobs", nullptr}, {"finish_reason", finish_json(outcome.finish)}}});
  out["usage"] = usage_json(outcome.usage);
  return out;
}

ojson chat_chunk_json(const ReplyIdentity& who, ojson delta, std::optional<Finish> finish) {
  ojson out = header(who, "chat.completion.chunk");
  out["choices"] =
      ojson::array({{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}, {"finish_reason", finish_json(finish)}}});
  return out;
}

ojson text_completion_json(const ReplyIdentity& who, const std::string& text, const Outcome& outcome) {
  ojson out = header(who, "text_completion");
  out["choices"] =
      ojson::array({{{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", finish_json(outcome.finish)}}});
  out["usage"] = usage_json(outcome.usage);
  return out;
}

ojson text_completion_chunk_json(const ReplyIdentity& who, const std::string& text, std::optional<Finish> finish) {
  ojson out = header(who, "text_completion");
  out["choices"] =
      ojson::array({{{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", finish_json(finish)}}});
  return out;
}

ojson usage_chunk_json(const ReplyIdentity& who, std::string_view object, const Usage& usage) {
  ojson out = header(who, object);
  out["choices"] = ojson::array();
  out["usage"] = usage_json(usage);
  return out;
}

ojson model_list_json(const std::string& model, int64_t created) {
  return {{"object", "list"},
          {"data", ojson::array({{{"id", model}, {"object", "model"}, {"created", created}, {"owned_by", "edgelm"}}})}};
}

std::string to_text(const ojson& value) { return value.dump(-1, ' ', false, ojson::error_handler_t::replace); }
std::string to_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string sse_event(const std::string& data) { return "data: " + data + "\n\n"; }

}  // namespace edgelm::server
