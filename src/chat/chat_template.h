#pragma once
// Chat prompts from a model's Jinja chat template.
//
// render_chat passes the template the variables llama.cpp passes (common/chat.cpp):
//   messages, bos_token, eos_token, enable_thinking (always),
//   tools                  only when a non-empty array is given,
//   add_generation_prompt  only when true (templates test it for truth),
// and renders them exactly as @huggingface/jinja would (see chat/jinja/template.h).
// Messages are used as given; normalize_messages (chat_messages.h) turns OpenAI-style
// input into what the templates expect.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace edgelm {

class GgufFile;

struct ChatRenderOptions {
  bool add_generation_prompt = true;
  bool enable_thinking = false;
  std::string bos_token, eos_token;
};

// The variables render_chat gives the template (exposed for tests and tools).
nlohmann::ordered_json chat_template_variables(const nlohmann::ordered_json& messages,
                                               const nlohmann::ordered_json& tools, const ChatRenderOptions& options);

// `tools` is null or an array. Throws edgelm::Error (with line and column in the
// template) on template errors, including the template's own raise_exception.
std::string render_chat(std::string_view template_source, const nlohmann::ordered_json& messages,
                        const nlohmann::ordered_json& tools, const ChatRenderOptions& options);

// tokenizer.chat_template; throws naming the file when the model has none.
std::string chat_template_from_gguf(const GgufFile& file);

// Text of the BOS and EOS tokens (tokenizer.ggml.tokens[tokenizer.ggml.bos_token_id]
// and eos), "" for one the file does not declare; throws on an id out of range.
struct SpecialTokenText {
  std::string bos, eos;
};
SpecialTokenText special_token_text(const GgufFile& file);

}  // namespace edgelm
