#pragma once
// Tensor element types, numbered exactly as ggml numbers them in GGUF files.
// The table knows the block size and byte size of every type a GGUF file may carry,
// so files with types we cannot compute with still load and describe themselves.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgelm {

enum class TensorType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39, NVFP4 = 40, Q1_0 = 41, Q2_0 = 42,
};

struct TypeTraits {
  TensorType type;
  const char* name;        // lower case, as users type it: "q4_k", "iq4_nl"
  uint32_t block_size;     // elements per block
  uint32_t type_size;      // bytes per block
  bool can_dequantize;     // edgelm has a reference dequantizer
  bool can_quantize;       // edgelm has a reference quantizer
};

// nullptr when `id` is not a type ggml defines (or one it has retired).
const TypeTraits* find_type_traits(uint32_t id);
// Traits of a known type (asserts the type is in the table).
const TypeTraits& type_traits(TensorType type);
// Case-insensitive lookup by name ("Q4_K", "q4_k", "bf16").
std::optional<TensorType> type_from_name(std::string_view name);
const char* type_name(TensorType type);
// Comma-separated names of the types that can be quantized to (for --help and errors).
std::string quantizable_type_names();

// Bytes in one row of `n` elements; `n` must be a multiple of the block size.
uint64_t row_bytes(TensorType type, uint64_t n);

}  // namespace edgelm
