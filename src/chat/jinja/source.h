#pragma once
// The template text being compiled and the way errors point into it: every lexer,
// parser and runtime error names the line and column (1-based, in code points) of the
// construct at fault in the original template, as "chat template line L, column C: ...".
#include <cstdint>
#include <string>
#include <string_view>

namespace edgelm::jinja {

class Source {
 public:
  explicit Source(std::string text) : text_(std::move(text)) {}
  const std::string& text() const { return text_; }
  // "line L, column C" of a byte offset into text().
  std::string location(uint32_t offset) const;
  [[noreturn]] void fail(uint32_t offset, std::string_view message) const;

 private:
  std::string text_;
};

}  // namespace edgelm::jinja
