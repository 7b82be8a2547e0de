#pragma once
// IEEE half (f16) and bfloat16 conversions, bit-exact with ggml's scalar reference:
// f32 -> f16 and f32 -> bf16 round to nearest even; NaN stays NaN.
#include <cstdint>

namespace edgelm {

float f16_to_f32(uint16_t h);
// All 65536 f16 values as f32 (256 KiB, built on first use): a load instead of bit work.
const float* f16_to_f32_table();
uint16_t f32_to_f16(float f);
float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);

}  // namespace edgelm
