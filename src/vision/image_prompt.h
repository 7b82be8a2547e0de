#pragma once
// A rendered chat prompt with images in it, as token ids (spec vision.md §6, llama.cpp's
// mtmd tokenization): the text stands for each image with kImageMarker (put in the
// message content before rendering); the text pieces between markers are tokenized one
// by one (special tokens parsed) and each image becomes <|image>, its embedding rows,
// <image|>. The template's own <|image|> placeholder never reaches the model.
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/prompt_images.h"

namespace edgelm {

class Tokenizer;

// The text that stands for one image in a message (llama.cpp's default media marker).
inline constexpr std::string_view kImageMarker = "<__media__>";

struct TokenizedPrompt {
  std::vector<int32_t> tokens;      // kImageTokenId at image positions
  std::vector<PromptImage> images;  // in order
};

// Number of markers in a text.
size_t count_image_markers(std::string_view text);

// The k-th marker of `rendered` stands for images[k]; their counts must agree. BOS is
// added as the vocabulary asks unless the text starts with `bos_text` (chat templates
// write it themselves).
TokenizedPrompt tokenize_with_images(std::string_view rendered,
                                     std::span<const std::shared_ptr<const ImageEmbedding>> images,
                                     const Tokenizer& tokenizer, std::string_view bos_text);

}  // namespace edgelm
