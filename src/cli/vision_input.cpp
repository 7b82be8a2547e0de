#include "cli/vision_input.h"

#include <cstdio>

#include "util/error.h"
#include "vision/image_prompt.h"

namespace edgelm::cli {

VisionSupport::VisionSupport(const std::string& mmproj, const Model& model, ThreadPool& pool) : model_(model) {
  if (mmproj.empty()) return;
  encoder_ = Gemma4vEncoder::open(mmproj);
  if (model.embedding_width() == 0) fail("{}: {} models take no images", mmproj, model.architecture());
  encoder_->config().check_text_model(model.embedding_width(), mmproj);
  embedder_ = std::make_unique<ImageEmbedder>(*encoder_, pool);
}

std::shared_ptr<const ImageEmbedding> VisionSupport::embed_file(const std::string& path) {
  if (!enabled()) fail("{}: images need the model's vision encoder: pass --mmproj FILE", path);
  auto embedding = embedder_->embed_file(path);
  const ImageEmbedStats s = embedder_->stats();
  if (s.encode_ms > 0.0) {
    std::fprintf(stderr, "image %s: %dx%d -> %dx%d, %u tokens; decode+resize %.0f ms, encode %.0f ms\n", path.c_str(),
                 s.input_size.width, s.input_size.height, s.encoded_size.width, s.encoded_size.height, s.n_tokens,
                 s.decode_ms, s.encode_ms);
  } else {
    std::fprintf(stderr, "image %s: %u tokens (cached)\n", path.c_str(), s.n_tokens);
  }
  return embedding;
}

uint32_t VisionSupport::max_image_tokens() const { return encoder_ ? encoder_->config().max_tokens : 0; }

uint32_t VisionSupport::ubatch_for(uint32_t requested, uint32_t image_tokens) const {
  if (!model_.images_bidirectional() || image_tokens <= requested) return requested;
  std::fprintf(stderr, "note: micro-batch raised from %u to %u tokens: this model reads an image whole\n", requested,
               image_tokens);
  return image_tokens;
}

std::string with_image_markers(const std::string& text, size_t n_images) {
  if (count_image_markers(text) > 0) return text;
  std::string out;
  for (size_t i = 0; i < n_images; ++i) out += kImageMarker;
  return out + text;
}

}  // namespace edgelm::cli
