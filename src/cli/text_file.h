#pragma once
// Whole files read for the CLI (prompts, templates, conversations, token lists); each
// caller words its own error, so nullopt means "could not open".
#include <optional>
#include <string>

namespace edgelm::cli {

std::optional<std::string> read_whole_file(const std::string& path);

}  // namespace edgelm::cli
