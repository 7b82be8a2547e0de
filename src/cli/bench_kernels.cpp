#include "cli/bench_kernels.h"

namespace edgelm::cli {

// replaced by cpu_kernels_description() when the SIMD dispatch lands
std::string bench_kernels_description() { return "scalar"; }

}  // namespace edgelm::cli
