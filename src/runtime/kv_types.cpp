#include "runtime/kv_types.h"

#include <algorithm>
#include <cstring>

#include "kernels/activations.h"
#include "quant/dequantize.h"
#include "quant/quantize.h"
#include "util/error.h"
#include "util/half.h"

namespace edgelm {

namespace {
constexpr TensorType kKvTypes[] = {TensorType::F16, TensorType::BF16, TensorType::Q8_0, TensorType::Q4_0};
}

bool is_kv_type(TensorType type) {
  for (TensorType t : kKvTypes) {
    if (t == type) return true;
  }
  return false;
}

std::string kv_type_names() {
  std::string names;
  for (TensorType t : kKvTypes) names += (names.empty() ? "" : ", ") + std::string(type_name(t));
  return names;
}

TensorType parse_kv_type(std::string_view name) {
  const std::optional<TensorType> t = type_from_name(name);
  if (!t || !is_kv_type(*t)) fail("unknown KV cache type '{}' (available: {})", printable(name), kv_type_names());
  return *t;
}

uint64_t kv_row_bytes(TensorType type, uint32_t head_dim) {
  const uint32_t block = type_traits(type).block_size;
  if (head_dim == 0 || head_dim % block != 0) {
    fail("a KV cache of type {} needs a head dimension that is a multiple of {} (this one is {})", type_name(type),
         block, head_dim);
  }
  return row_bytes(type, head_dim);
}

void store_kv_row(TensorType type, const float* src, uint8_t* dst, uint32_t n) {
  switch (type) {
    case TensorType::F16: {
      uint16_t row[512];  // head dims are at most 512; longer rows go in pieces
      for (uint32_t i = 0; i < n; i += 512) {
        const uint32_t m = std::min<uint32_t>(512, n - i);
        f32_to_f16_row(src + i, row, m);
        std::memcpy(dst + 2 * i, row, 2 * m);
      }
      return;
    }
    case TensorType::BF16: {
      for (uint32_t i = 0; i < n; ++i) {
        const uint16_t h = f32_to_bf16(src[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    }
    default: quantize_row(type, src, dst, n); return;
  }
}

void load_kv_row(TensorType type, const uint8_t* src, float* dst, uint32_t n) { dequantize_row(type, src, dst, n); }

}  // namespace edgelm
