#pragma once
// Images inside a token sequence: an image occupies as many positions as it has
// embedding rows; the sequence holds kImageTokenId there, and a PromptImage says which
// rows fill them. The text model reads those rows instead of token embeddings.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace edgelm {

// Placeholder id at an image's positions (never a real token).
inline constexpr int32_t kImageTokenId = -1;

struct ImageEmbedding {
  std::string key;          // identifies the content (image bytes and encoder): same key, same rows
  uint32_t n_tokens = 0;
  uint32_t width = 0;       // values per row (the text model's d_model)
  std::vector<float> rows;  // n_tokens · width
};

struct PromptImage {
  size_t position = 0;  // index of the image's first row in the token sequence
  std::shared_ptr<const ImageEmbedding> embedding;

  size_t end() const { return position + embedding->n_tokens; }
};

}  // namespace edgelm
