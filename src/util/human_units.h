#pragma once
// Sizes as people read them in tables and messages.
#include <cstdint>
#include <string>

namespace edgelm {

// "3.10 GiB", "512.00 MiB", "1.50 KiB", "17 B" (binary units).
std::string human_bytes(uint64_t bytes);

}  // namespace edgelm
