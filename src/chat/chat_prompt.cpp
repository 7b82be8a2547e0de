#include "chat/chat_prompt.h"

namespace edgelm {

std::vector<int32_t> encode_chat_prompt(const Tokenizer& tokenizer, std::string_view bos_text, std::string_view text) {
  const bool has_bos = !bos_text.empty() && text.substr(0, bos_text.size()) == bos_text;
  return tokenizer.encode(text, /*add_special=*/!has_bos, /*parse_special=*/true);
}

}  // namespace edgelm
