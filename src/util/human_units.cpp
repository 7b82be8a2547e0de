#include "util/human_units.h"

#include <fmt/format.h>

namespace edgelm {

std::string human_bytes(uint64_t b) {
  const double v = static_cast<double>(b);
  if (b >= (1ull << 30)) return fmt::format("{:.2f} GiB", v / (1ull << 30));
  if (b >= (1ull << 20)) return fmt::format("{:.2f} MiB", v / (1ull << 20));
  if (b >= (1ull << 10)) return fmt::format("{:.2f} KiB", v / (1ull << 10));
  return fmt::format("{} B", b);
}

}  // namespace edgelm
