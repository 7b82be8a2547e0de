#pragma once
// How many bytes of weights decoding one token reads: the numerator of the memory-
// bandwidth roofline (tokens/s <= bandwidth / bytes per token).
#include <cstdint>

namespace edgelm {

class GgufFile;

// Every tensor is read in full once per token (the matrices by their matmuls, the
// output head over the whole vocabulary, the small norm vectors), except embedding
// tables, of which a token reads one row: the per-layer embedding table always, and
// token_embd when a separate output.weight exists (a tied token_embd is read in full
// as the output head, plus its one embedding row). KV-cache reads are not counted.
uint64_t decode_weight_bytes_per_token(const GgufFile& file);

}  // namespace edgelm
