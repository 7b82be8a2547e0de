#pragma once
// Activations are converted to a weight type's "activation format" before the dot
// products, exactly as ggml does (its vec_dot_type): integer formats multiply int8
// activations (q8_0 for 32-blocks, q8_K for 256-blocks), f16/bf16 weights multiply
// f16/bf16 activations. Matching this rounding is what makes our logits agree with
// llama.cpp's to ~1e-6 instead of ~1e-3; it is also the fast path.
#include <cstdint>

#include "quant/tensor_type.h"

namespace edgelm {

// The activation format for weights of `weight_type`. Types without an integer dot
// product (q4_1, q5_1, q8_K, ...) use f32 activations against dequantized rows.
TensorType activation_type(TensorType weight_type);

// Bytes needed to hold `n` activations in `act_type`.
uint64_t activation_bytes(TensorType act_type, int64_t n);

// Converts n floats (a multiple of the format's block size) into `act_type`, bit for
// bit as ggml's x86 CPU backend does (q8_0: d = amax/127, q = round-half-even(x*127/amax);
// q8_K: scale -127/max of the signed largest value, with per-16 sums).
void quantize_activations(TensorType act_type, const float* x, void* out, int64_t n);

// x rounded to f16 (nearest even, as f32_to_f16), with F16C where the CPU level has it.
void f32_to_f16_row(const float* x, uint16_t* out, int64_t n);

}  // namespace edgelm
