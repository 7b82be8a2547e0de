#pragma once
// The element types a KV cache row can be stored in: f16 (llama.cpp's default, the
// parity path), bf16, and the 32-element block formats q8_0 and q4_0 (ggml's layouts,
// so a row is quantized exactly as llama.cpp's cache would be). K and V are chosen
// independently.
#include <cstdint>
#include <string>
#include <string_view>

#include "quant/tensor_type.h"

namespace edgelm {

// Whether `type` can hold KV rows (f16, bf16, q8_0, q4_0).
bool is_kv_type(TensorType type);
// Parses "f16" / "bf16" / "q8_0" / "q4_0" (any case); throws edgelm::Error listing them.
TensorType parse_kv_type(std::string_view name);
// "f16, bf16, q8_0, q4_0"
std::string kv_type_names();

// Bytes of one row of `head_dim` elements; throws edgelm::Error when head_dim is not a
// multiple of the type's block size (32 for the quantized types).
uint64_t kv_row_bytes(TensorType type, uint32_t head_dim);

// Stores `n` floats as one row of `type` (round to nearest even for f16/bf16, ggml's
// reference quantizers for q8_0/q4_0).
void store_kv_row(TensorType type, const float* src, uint8_t* dst, uint32_t n);
// Reads one row back as floats.
void load_kv_row(TensorType type, const uint8_t* src, float* dst, uint32_t n);

}  // namespace edgelm
