#pragma once
// `--mem`: what a run actually used, printed after it (stderr): resident weight pages,
// KV cache memory committed by kind of layer, cells in use, evictions, peak RSS.
#include "gguf/gguf_reader.h"
#include "runtime/generator.h"

namespace edgelm::cli {

void print_measured_memory(const Generator& generator, const GgufFile& file);

}  // namespace edgelm::cli
