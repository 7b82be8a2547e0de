#pragma once
// Dot product of one weight row with one activation row already converted to
// activation_type(weight type). This is the scalar reference of every type pair
// (the oracle for the SIMD kernels in kernels/x86, which must match it bit for bit, and
// the scalar CPU level's kernel); integer formats accumulate exact int32 sums per block
// and scale them in f32, as ggml does.
#include <cstdint>

#include "quant/tensor_type.h"

namespace edgelm {

// `n` elements; `w` is one row of `weight_type`, `act` the converted activations.
// Weight types without an integer kernel take f32 activations and are dequantized
// block by block.
float vec_dot(TensorType weight_type, const uint8_t* w, const void* act, int64_t n);

}  // namespace edgelm
