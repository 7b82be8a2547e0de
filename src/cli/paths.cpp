#include "cli/paths.h"

#include <cstdlib>
#include <filesystem>

#include "util/error.h"

namespace edgelm::cli {

namespace {
std::filesystem::path vocab_dir() {
  if (const char* env = std::getenv("EDGELM_VOCAB_DIR"); env != nullptr && *env != '\0') return env;
  return std::filesystem::path(EDGELM_SOURCE_DIR) / ".." / "shared" / "testdata" / "vocab";
}
}  // namespace

std::string default_vocab_path(const std::string& file) {
  const std::filesystem::path path = (vocab_dir() / file).lexically_normal();
  if (!std::filesystem::exists(path)) {
    fail("default vocabulary {} not found; pass --vocab FILE.gguf or set EDGELM_VOCAB_DIR", path.string());
  }
  return path.string();
}

std::string default_template_path(const std::string& file, const std::string& option) {
  const std::filesystem::path path = (vocab_dir() / ".." / "templates" / file).lexically_normal();
  if (!std::filesystem::exists(path)) {
    fail("default chat template {} not found; pass {} FILE.jinja or set EDGELM_VOCAB_DIR", path.string(), option);
  }
  return path.string();
}

}  // namespace edgelm::cli
