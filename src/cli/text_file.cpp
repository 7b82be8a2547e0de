#include "cli/text_file.h"

#include <fstream>
#include <sstream>

namespace edgelm::cli {

std::optional<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace edgelm::cli
