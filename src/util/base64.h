#pragma once
// Standard base64 (RFC 4648 §4), decoding only: images arrive in data: URLs.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace edgelm {

// The bytes, or nullopt when the text is not valid base64 (padding optional; no
// whitespace or other characters).
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace edgelm
