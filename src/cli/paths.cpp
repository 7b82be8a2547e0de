#include "cli/paths.h"

#include <cstdlib>
#include <filesystem>

#include "util/error.h"

namespace edgelm::cli {

std::string default_vocab_path(const std::string& file) {
  std::filesystem::path dir;
  if (const char* env = std::getenv("EDGELM_VOCAB_DIR"); env != nullptr && *env != '\0') {
    dir = env;
  } else {
    dir = std::filesystem::path(EDGELM_SOURCE_DIR) / ".." / "shared" / "testdata" / "vocab";
  }
  const std::filesystem::path path = (dir / file).lexically_normal();
  if (!std::filesystem::exists(path)) {
    fail("default vocabulary {} not found; pass --vocab FILE.gguf or set EDGELM_VOCAB_DIR", path.string());
  }
  return path.string();
}

}  // namespace edgelm::cli
