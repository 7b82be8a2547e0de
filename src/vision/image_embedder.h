#pragma once
// Image file bytes -> the rows the text model reads: decode (with the decompression-
// bomb limits), preprocess, encode. Results are cached by the SHA-256 of the bytes, so
// a chat that shows the same image again (every turn re-renders the history) or a
// client that re-sends it does not pay for the encoder twice.
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "image/image_decode.h"
#include "models/gemma4v/gemma4v_encoder.h"
#include "runtime/prompt_images.h"

namespace edgelm {

class ThreadPool;

struct ImageEmbedStats {
  uint64_t hits = 0;          // answered from the cache
  uint64_t encoded = 0;       // run through the encoder
  // The last image embedded (from the cache or not):
  ImageSize input_size;       // as decoded
  ImageSize encoded_size;     // after the resize
  uint32_t n_tokens = 0;
  double decode_ms = 0.0;     // decode + preprocess (0 on a cache hit)
  double encode_ms = 0.0;     // the encoder (0 on a cache hit)
};

// Thread-safe: callers on several threads share the cache; encodings take turns.
class ImageEmbedder {
 public:
  // The encoder and the pool must outlive the embedder; `capacity` images are kept
  // (the least recently used is dropped first).
  ImageEmbedder(const Gemma4vEncoder& encoder, ThreadPool& pool, size_t capacity = 32, ImageLimits limits = {});

  // The embedding of an image file's bytes; `name` labels errors.
  std::shared_ptr<const ImageEmbedding> embed(std::span<const uint8_t> bytes, std::string_view name);
  // Reads the file (within the size limit) and embeds it.
  std::shared_ptr<const ImageEmbedding> embed_file(const std::string& path);

  const Gemma4vEncoder& encoder() const { return encoder_; }
  ImageEmbedStats stats() const;

 private:
  const Gemma4vEncoder& encoder_;
  ThreadPool& pool_;
  size_t capacity_;
  ImageLimits limits_;
  mutable std::mutex mutex_;  // the cache and the stats; encoding runs outside it
  std::mutex encode_mutex_;   // one encoding at a time: the pool runs one job at a time
  std::list<std::shared_ptr<const ImageEmbedding>> recent_;  // most recently used first
  std::unordered_map<std::string, std::list<std::shared_ptr<const ImageEmbedding>>::iterator> by_key_;
  ImageEmbedStats stats_;
};

}  // namespace edgelm
