#pragma once
// What `run` and `chat` share for images: the vision encoder of --mmproj (checked
// against the text model), embedding image files with a line of figures on stderr,
// and the micro-batch size images need.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/model.h"
#include "models/gemma4v/gemma4v_encoder.h"
#include "vision/image_embedder.h"

namespace edgelm::cli {

class VisionSupport {
 public:
  // `mmproj` empty: no vision (embedding an image is then an error saying so).
  VisionSupport(const std::string& mmproj, const Model& model, ThreadPool& pool);

  bool enabled() const { return encoder_ != nullptr; }
  // The embedder (null without --mmproj), for callers that embed bytes themselves.
  ImageEmbedder* embedder() { return embedder_.get(); }
  // Decodes, preprocesses and encodes (or finds in the cache) an image file.
  std::shared_ptr<const ImageEmbedding> embed_file(const std::string& path);
  // The micro-batch for a generator that will see images of up to `image_tokens`
  // tokens: for models whose sliding layers read an image both ways, a whole image
  // must fit one micro-batch (raised with a note on stderr when it does not).
  uint32_t ubatch_for(uint32_t requested, uint32_t image_tokens) const;
  // The most tokens one image can have with this encoder.
  uint32_t max_image_tokens() const;

 private:
  const Model& model_;
  std::unique_ptr<Gemma4vEncoder> encoder_;
  std::unique_ptr<ImageEmbedder> embedder_;
};

// `text` with one image marker per image in front (as llama.cpp's mtmd-cli does),
// unless the text already places its markers.
std::string with_image_markers(const std::string& text, size_t n_images);

}  // namespace edgelm::cli
