#include "util/memory_stats.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

namespace edgelm {

namespace {

// A "Key:   1234 kB" line of /proc/self/status, in bytes (0 when absent).
uint64_t proc_status_kib_field(const std::string& key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, key.size(), key) != 0 || line.size() <= key.size() || line[key.size()] != ':') continue;
    std::istringstream fields(line.substr(key.size() + 1));
    uint64_t kib = 0;
    fields >> kib;
    return kib * 1024;
  }
  return 0;
}

}  // namespace

uint64_t peak_rss_bytes() {
  uint64_t from_rusage = 0;
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0 && usage.ru_maxrss > 0) {
    from_rusage = static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
  }
  return std::max(from_rusage, proc_status_kib_field("VmHWM"));
}

uint64_t current_rss_bytes() { return proc_status_kib_field("VmRSS"); }

}  // namespace edgelm
