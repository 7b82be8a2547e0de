#pragma once
// Opening a model for generation the way a user expects: a clear error for a path
// that is not there, and a progress line on the terminal while the weights are read in
// (seconds for a 3-5 GB file on a cold page cache).
#include <memory>
#include <string>

#include "models/model.h"

namespace edgelm::cli {

bool stderr_is_terminal();

// `show_progress`: draw "loading NAME 42% (1.2 / 2.9 GiB)" on stderr (terminals only).
std::unique_ptr<Model> open_model_for_generation(const std::string& path, bool show_progress);

// The context size to run with: `requested` when the user gave --ctx (an error when it
// is 0 or beyond the model's context length), else `requested` (the default) capped at
// the model's context length (OpenELM's is 2048).
uint32_t context_size(uint32_t requested, bool given, const Model& model);

// Thread count from -t (0 = all cores).
int resolve_threads(int requested);

}  // namespace edgelm::cli
