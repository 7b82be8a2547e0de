#include "vision/image_prompt.h"

#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace edgelm {
namespace {

constexpr std::string_view kImageBegin = "<|image>";
constexpr std::string_view kImageEnd = "<image|>";

void append(std::vector<int32_t>& out, const std::vector<int32_t>& more) { out.insert(out.end(), more.begin(), more.end()); }

}  // namespace

size_t count_image_markers(std::string_view text) {
  size_t n = 0;
  for (size_t at = text.find(kImageMarker); at != std::string_view::npos; at = text.find(kImageMarker, at + kImageMarker.size())) ++n;
  return n;
}

TokenizedPrompt tokenize_with_images(std::string_view rendered,
                                     std::span<const std::shared_ptr<const ImageEmbedding>> images,
                                     const Tokenizer& tokenizer, std::string_view bos_text) {
  const size_t markers = count_image_markers(rendered);
  if (markers != images.size()) {
    fail("the prompt has {} image markers but {} images were given", markers, images.size());
  }
  if (!images.empty()) {
    for (std::string_view t : {kImageBegin, kImageEnd}) {
      if (!tokenizer.find_token(t)) {
        fail("the vocabulary has no '{}' token: this text model does not take images", t);
      }
    }
  }
  TokenizedPrompt out;
  size_t start = 0;
  for (size_t k = 0; k <= images.size(); ++k) {
    const size_t end = k < images.size() ? rendered.find(kImageMarker, start) : rendered.size();
    const std::string_view piece = rendered.substr(start, end - start);
    if (k == 0) {
      const bool has_bos = !bos_text.empty() && piece.starts_with(bos_text);
      append(out.tokens, tokenizer.encode(piece, /*add_special=*/!has_bos, /*parse_special=*/true));
    } else {
      append(out.tokens, tokenizer.encode(kImageEnd, false, true));
      append(out.tokens, tokenizer.encode(piece, false, true));
    }
    if (k == images.size()) break;
    append(out.tokens, tokenizer.encode(kImageBegin, false, true));
    out.images.push_back({out.tokens.size(), images[k]});
    out.tokens.insert(out.tokens.end(), images[k]->n_tokens, kImageTokenId);
    start = end + kImageMarker.size();
  }
  return out;
}

}  // namespace edgelm
