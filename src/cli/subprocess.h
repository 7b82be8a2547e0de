#pragma once
// Running a program and reading what it prints: `edgelm compare` measures each model in
// a child process of its own (`edgelm bench --json`), so that each one's peak memory is
// its own and no model's pages or caches help the next.
#include <string>
#include <vector>

namespace edgelm::cli {

struct ProcessResult {
  int exit_code = -1;   // -1 when killed by a signal
  std::string out;      // everything it wrote to stdout (stderr passes through)
};

// Runs argv[0] with these arguments (no shell) and waits for it. Throws edgelm::Error
// when it cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv);

// This executable's path (/proc/self/exe), to run another of its subcommands.
std::string self_executable();

}  // namespace edgelm::cli
