#include "cli/text_model.h"

#include "chat/chat_prompt.h"
#include "cli/model_loading.h"
#include "cli/text_file.h"
#include "util/error.h"

namespace edgelm::cli {

ChatRenderOptions TextModel::render_options(bool think) const {
  ChatRenderOptions o;
  o.enable_thinking = think;
  o.bos_token = special.bos;
  o.eos_token = special.eos;
  return o;
}

std::vector<int32_t> TextModel::encode_prompt(const std::string& text) const {
  return encode_chat_prompt(tokenizer, special.bos, text);
}

TextModel open_text_model(const std::string& path, const std::string& template_path, bool need_template) {
  auto model = open_model_for_generation(path, true);
  Tokenizer tokenizer = Tokenizer::from_gguf(model->file());
  std::string tmpl;
  if (!template_path.empty()) {
    std::optional<std::string> text = read_whole_file(template_path);
    if (!text) fail("{}: cannot open the chat template", template_path);
    tmpl = std::move(*text);
  } else if (model->file().has("tokenizer.chat_template")) {
    tmpl = chat_template_from_gguf(model->file());
  } else if (need_template) {
    fail("{}: no chat template (tokenizer.chat_template): a base model; pass a template with --template, or "
         "complete plain text with `edgelm run -p`",
         path);
  }
  SpecialTokenText special = special_token_text(model->file());
  return TextModel{std::move(model), std::move(tokenizer), std::move(tmpl), std::move(special)};
}

}  // namespace edgelm::cli
