#include "cli/model_loading.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "runtime/prefetch.h"
#include "util/error.h"

namespace edgelm::cli {

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

std::unique_ptr<Model> open_model_for_generation(const std::string& path, bool show_progress) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail("model file not found: {}", path);
  if (std::filesystem::is_directory(path, ec)) fail("{}: is a directory, not a GGUF model file", path);
  auto model = open_model(path);
  const bool draw = show_progress && stderr_is_terminal();
  const std::string name = std::filesystem::path(path).filename().string();
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  prefetch_weights(model->file(), [&](uint64_t done, uint64_t total) {
    if (!draw || total == 0) return;
    std::fprintf(stderr, "\rloading %s %3d%% (%.2f / %.2f GiB)", name.c_str(),
                 static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total)),
                 static_cast<double>(done) / kGiB, static_cast<double>(total) / kGiB);
    std::fflush(stderr);
  });
  model->pack_weights();
  if (draw) std::fprintf(stderr, "\r\033[K");
  return model;
}

uint32_t context_size(uint32_t requested, bool given, const Model& model) {
  const uint32_t max_ctx = model.context_length();
  if (!given) return std::min(requested, max_ctx);
  if (requested == 0 || requested > max_ctx) {
    fail("--ctx {} is out of range (1..{}, the model's context length)", requested, max_ctx);
  }
  return requested;
}

int resolve_threads(int requested) {
  if (requested < 0) fail("-t/--threads must not be negative");
  return requested > 0 ? requested : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace edgelm::cli
