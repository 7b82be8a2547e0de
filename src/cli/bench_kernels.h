#pragma once
// The CPU kernels `edgelm bench` reports as used.
#include <string>

namespace edgelm::cli {

std::string bench_kernels_description();

}  // namespace edgelm::cli
