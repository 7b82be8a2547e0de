#pragma once
// SHA-256 (FIPS 180-4). Identifies content that must not collide by accident or by
// design: an image cache keyed by a weak hash could be made to serve one user's image
// for another's.
#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace edgelm {

std::array<uint8_t, 32> sha256(std::span<const uint8_t> data);
// Lower-case hex of sha256(data) (64 characters).
std::string sha256_hex(std::span<const uint8_t> data);

}  // namespace edgelm
