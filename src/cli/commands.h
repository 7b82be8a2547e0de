#pragma once
// Each subcommand registers its options on the CLI11 app and returns the function
// that runs it. Results go to stdout, messages to stderr; exit 0 on success, 1 on a
// user or input error (thrown as edgelm::Error and printed by main as "error: ...").
#include <CLI/CLI.hpp>

#include <functional>

namespace edgelm::cli {

struct Command {
  CLI::App* app;            // the subcommand, to know which one was parsed
  std::function<int()> run;
};

Command add_info_command(CLI::App& app);
Command add_synth_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_tokenize_command(CLI::App& app);
Command add_detokenize_command(CLI::App& app);
Command add_template_command(CLI::App& app);
Command add_chat_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_serve_command(CLI::App& app);

}  // namespace edgelm::cli
