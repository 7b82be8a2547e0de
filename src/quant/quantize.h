#pragma once
// Reference (scalar) quantization for the types edgelm writes (synthetic models,
// `edgelm quantize`). Output blocks are byte-compatible with ggml's layouts.
#include <cstdint>

#include "quant/tensor_type.h"

namespace edgelm {

// Quantizes `n` f32 values (a multiple of the type's block size) into `dst`, which
// must hold row_bytes(type, n) bytes. Throws edgelm::Error for a type without a
// quantizer (naming the type).
void quantize_row(TensorType type, const float* src, void* dst, int64_t n);

}  // namespace edgelm
