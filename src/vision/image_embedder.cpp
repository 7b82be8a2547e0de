#include "vision/image_embedder.h"

#include <chrono>
#include <fstream>
#include <vector>

#include "util/error.h"
#include "util/sha256.h"

namespace edgelm {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

ImageEmbedder::ImageEmbedder(const Gemma4vEncoder& encoder, ThreadPool& pool, size_t capacity, ImageLimits limits)
    : encoder_(encoder), pool_(pool), capacity_(std::max<size_t>(capacity, 1)), limits_(limits) {}

ImageEmbedStats ImageEmbedder::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::shared_ptr<const ImageEmbedding> ImageEmbedder::embed(std::span<const uint8_t> bytes, std::string_view name) {
  const std::string key = sha256_hex(bytes);
  {
    std::lock_guard lock(mutex_);
    if (auto it = by_key_.find(key); it != by_key_.end()) {
      recent_.splice(recent_.begin(), recent_, it->second);
      ++stats_.hits;
      stats_.n_tokens = (*it->second)->n_tokens;
      stats_.decode_ms = stats_.encode_ms = 0.0;
      return *it->second;
    }
  }
  std::lock_guard encoding(encode_mutex_);
  const auto t0 = Clock::now();
  const RgbImage image = decode_image(bytes, name, limits_);
  const VisionInput input = gemma4v_preprocess(image, encoder_.config());
  const double decode_ms = ms_since(t0);
  const auto t1 = Clock::now();
  auto embedding = std::make_shared<ImageEmbedding>();
  embedding->key = key;
  embedding->width = encoder_.config().projection_dim;
  embedding->rows = encoder_.encode(input, pool_);
  embedding->n_tokens = static_cast<uint32_t>(embedding->rows.size() / embedding->width);
  const double encode_ms = ms_since(t1);

  std::lock_guard lock(mutex_);
  ++stats_.encoded;
  stats_.input_size = {image.width, image.height};
  stats_.encoded_size = {input.width, input.height};
  stats_.n_tokens = embedding->n_tokens;
  stats_.decode_ms = decode_ms;
  stats_.encode_ms = encode_ms;
  if (!by_key_.contains(key)) {
    recent_.push_front(embedding);
    by_key_[key] = recent_.begin();
    while (recent_.size() > capacity_) {
      by_key_.erase(recent_.back()->key);
      recent_.pop_back();
    }
  }
  return embedding;
}

std::shared_ptr<const ImageEmbedding> ImageEmbedder::embed_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail("{}: cannot open the image", path);
  const std::streamoff size = in.tellg();
  if (size < 0) fail("{}: cannot read the image", path);
  if (static_cast<uint64_t>(size) > limits_.max_file_bytes) {
    fail("{}: the image file has {} bytes, more than the limit of {}", path, size, limits_.max_file_bytes);
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) fail("{}: cannot read the image", path);
  return embed(bytes, path);
}

}  // namespace edgelm
