#include "chat/jinja/source.h"

#include <fmt/format.h>

#include <algorithm>

#include "util/error.h"

namespace edgelm::jinja {

std::string Source::location(uint32_t offset) const {
  const size_t end = std::min<size_t>(offset, text_.size());
  size_t line = 1, column = 1;
  for (size_t i = 0; i < end; ++i) {
    const auto c = static_cast<unsigned char>(text_[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xc0) != 0x80) {
      ++column;  // count code points, not bytes
    }
  }
  return fmt::format("line {}, column {}", line, column);
}

void Source::fail(uint32_t offset, std::string_view message) const {
  throw Error(fmt::format("chat template {}: {}", location(offset), printable(message, 200)));
}

}  // namespace edgelm::jinja
