#pragma once
// The sampling options every generating subcommand shares (llama.cpp's names), so
// `run` and later commands spell and document them once.
#include <CLI/CLI.hpp>

#include "sample/sampling_params.h"

namespace edgelm::cli {

// Adds --temp, --top-k, --top-p, --min-p, --repeat-penalty, --repeat-last-n,
// --presence-penalty, --frequency-penalty, --seed and --logit-bias (repeatable) to
// `app`, writing into `params`; the help shows the values `params` holds now as the
// defaults. Malformed values are CLI parse errors; ranges are checked later by
// SamplingParams::validate.
void add_sampling_options(CLI::App* app, SamplingParams& params);

}  // namespace edgelm::cli
