#include "chat/chat_template.h"

#include "chat/jinja/template.h"
#include "gguf/gguf_reader.h"
#include "util/error.h"

namespace edgelm {

nlohmann::ordered_json chat_template_variables(const nlohmann::ordered_json& messages,
                                               const nlohmann::ordered_json& tools, const ChatRenderOptions& options) {
  if (!tools.is_null() && !tools.is_array()) throw Error("chat: tools must be an array");
  nlohmann::ordered_json vars = nlohmann::ordered_json::object();
  vars["messages"] = messages;
  vars["bos_token"] = options.bos_token;
  vars["eos_token"] = options.eos_token;
  vars["enable_thinking"] = options.enable_thinking;
  if (tools.is_array() && !tools.empty()) vars["tools"] = tools;
  if (options.add_generation_prompt) vars["add_generation_prompt"] = true;
  return vars;
}

std::string render_chat(std::string_view template_source, const nlohmann::ordered_json& messages,
                        const nlohmann::ordered_json& tools, const ChatRenderOptions& options) {
  const jinja::Template tmpl(template_source);
  return tmpl.render(chat_template_variables(messages, tools, options));
}

std::string chat_template_from_gguf(const GgufFile& file) {
  if (!file.has("tokenizer.chat_template")) {
    fail("{}: no chat template (tokenizer.chat_template); pass one with --template", file.name());
  }
  return std::string(file.get_string("tokenizer.chat_template"));
}

SpecialTokenText special_token_text(const GgufFile& file) {
  SpecialTokenText out;
  for (auto [key, text] : {std::pair{"tokenizer.ggml.bos_token_id", &out.bos}, std::pair{"tokenizer.ggml.eos_token_id", &out.eos}}) {
    if (!file.has(key)) continue;
    const uint32_t id = file.get_u32(key);
    const auto& tokens = file.get_string_array("tokenizer.ggml.tokens");
    if (id >= tokens.size()) fail("{}: {} = {} is out of range ({} tokens)", file.name(), key, id, tokens.size());
    *text = std::string(tokens[id]);
  }
  return out;
}

}  // namespace edgelm
