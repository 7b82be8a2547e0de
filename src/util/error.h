#pragma once
// One exception type for every user-facing failure. Its message is a single line that
// names the problem (file, key, tensor, byte offset); the CLI prints it as "error: <msg>".
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace edgelm {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws edgelm::Error with an fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Makes text safe to embed in a one-line message: control bytes and invalid UTF-8 become
// \xNN escapes and long text is shortened, so a hostile key name cannot break the line.
std::string printable(std::string_view text, size_t max_len = 80);

}  // namespace edgelm
