#pragma once
// Reference (scalar) dequantization: the obviously-correct version every SIMD kernel is
// tested against. Layouts are byte-compatible with ggml's blocks (see quant/blocks.h).
#include <cstdint>

#include "quant/tensor_type.h"

namespace edgelm {

// Converts `n` elements (a multiple of the type's block size) stored at `src` in `type`
// to f32. Throws edgelm::Error for a type without a dequantizer (naming the type).
void dequantize_row(TensorType type, const void* src, float* dst, int64_t n);

}  // namespace edgelm
