#pragma once
// What `run -p` and `chat` share: a model with its tokenizer and chat template, and
// turning a rendered prompt into token ids.
#include <memory>
#include <string>
#include <vector>

#include "chat/chat_template.h"
#include "models/model.h"
#include "tokenizer/tokenizer.h"

namespace edgelm::cli {

struct TextModel {
  std::unique_ptr<Model> model;
  Tokenizer tokenizer;
  std::string chat_template;   // the GGUF's, or the --template file's
  SpecialTokenText special;    // BOS/EOS text for the template

  ChatRenderOptions render_options(bool think) const;
  // Ids of a rendered prompt: special tokens parsed, BOS added as the GGUF asks
  // unless the text already starts with it (chat templates write it themselves).
  std::vector<int32_t> encode_prompt(const std::string& text) const;
};

// `template_path` empty: the GGUF's tokenizer.chat_template, if it has one (an error
// when the file has none and `need_template`; else chat_template stays empty).
TextModel open_text_model(const std::string& path, const std::string& template_path, bool need_template);

}  // namespace edgelm::cli
