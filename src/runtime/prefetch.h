#pragma once
// Brings a model's weights into the page cache before the first token, so the first
// answer is not paid for in page faults, with progress for a loading indicator. The
// per-layer token embedding table is skipped: it is read one row per token and must
// never become resident as a whole (spec: E2B's 2.3 G-parameter table).
#include <cstdint>
#include <functional>

#include "gguf/gguf_reader.h"

namespace edgelm {

// Tensors a prefetch skips (read a row at a time during the forward pass).
bool is_row_streamed_tensor(std::string_view name);

// Bytes prefetch_weights() would touch.
uint64_t prefetch_bytes(const GgufFile& file);

// Touches every page of every other tensor, calling `progress(done, total)` every few
// megabytes and once at the end.
void prefetch_weights(const GgufFile& file, const std::function<void(uint64_t done, uint64_t total)>& progress);

}  // namespace edgelm
