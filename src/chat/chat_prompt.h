#pragma once
// A prompt rendered by a chat template, as token ids: control tokens written in it
// (e.g. "<|turn>") parsed, and BOS added as the GGUF asks unless the text already
// starts with it (chat templates usually write it themselves). Shared by the CLI and
// the server.
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace edgelm {

// `bos_text`: the BOS token's text ("" when the vocabulary has none).
std::vector<int32_t> encode_chat_prompt(const Tokenizer& tokenizer, std::string_view bos_text, std::string_view text);

}  // namespace edgelm
