#include "quant/tensor_type.h"

#include <array>
#include <cassert>
#include <cctype>

namespace edgelm {
namespace {

using T = TensorType;
// Block sizes and byte sizes follow ggml's block structs (ggml-common.h layouts).
constexpr std::array kTypes = {
    TypeTraits{T::F32, "f32", 1, 4, true, true},
    TypeTraits{T::F16, "f16", 1, 2, true, true},
    TypeTraits{T::Q4_0, "q4_0", 32, 18, true, true},
    TypeTraits{T::Q4_1, "q4_1", 32, 20, true, false},
    TypeTraits{T::Q5_0, "q5_0", 32, 22, true, false},
    TypeTraits{T::Q5_1, "q5_1", 32, 24, true, false},
    TypeTraits{T::Q8_0, "q8_0", 32, 34, true, true},
    TypeTraits{T::Q8_1, "q8_1", 32, 36, false, false},
    TypeTraits{T::Q2_K, "q2_k", 256, 84, false, false},
    TypeTraits{T::Q3_K, "q3_k", 256, 110, false, false},
    TypeTraits{T::Q4_K, "q4_k", 256, 144, true, true},
    TypeTraits{T::Q5_K, "q5_k", 256, 176, true, true},
    TypeTraits{T::Q6_K, "q6_k", 256, 210, true, true},
    TypeTraits{T::Q8_K, "q8_k", 256, 292, true, false},
    TypeTraits{T::IQ2_XXS, "iq2_xxs", 256, 66, false, false},
    TypeTraits{T::IQ2_XS, "iq2_xs", 256, 74, false, false},
    TypeTraits{T::IQ3_XXS, "iq3_xxs", 256, 98, false, false},
    TypeTraits{T::IQ1_S, "iq1_s", 256, 50, false, false},
    TypeTraits{T::IQ4_NL, "iq4_nl", 32, 18, true, true},
    TypeTraits{T::IQ3_S, "iq3_s", 256, 110, false, false},
    TypeTraits{T::IQ2_S, "iq2_s", 256, 82, false, false},
    TypeTraits{T::IQ4_XS, "iq4_xs", 256, 136, true, false},
    TypeTraits{T::I8, "i8", 1, 1, false, false},
    TypeTraits{T::I16, "i16", 1, 2, false, false},
    TypeTraits{T::I32, "i32", 1, 4, false, false},
    TypeTraits{T::I64, "i64", 1, 8, false, false},
    TypeTraits{T::F64, "f64", 1, 8, false, false},
    TypeTraits{T::IQ1_M, "iq1_m", 256, 56, false, false},
    TypeTraits{T::BF16, "bf16", 1, 2, true, true},
    TypeTraits{T::TQ1_0, "tq1_0", 256, 54, false, false},
    TypeTraits{T::TQ2_0, "tq2_0", 256, 66, false, false},
    TypeTraits{T::MXFP4, "mxfp4", 32, 17, false, false},
    TypeTraits{T::NVFP4, "nvfp4", 64, 36, false, false},
    TypeTraits{T::Q1_0, "q1_0", 128, 18, false, false},
    TypeTraits{T::Q2_0, "q2_0", 64, 18, false, false},
};

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

const TypeTraits* find_type_traits(uint32_t id) {
  for (const auto& t : kTypes) {
    if (static_cast<uint32_t>(t.type) == id) return &t;
  }
  return nullptr;
}

const TypeTraits& type_traits(TensorType type) {
  const TypeTraits* t = find_type_traits(static_cast<uint32_t>(type));
  assert(t != nullptr);
  return *t;
}

std::optional<TensorType> type_from_name(std::string_view name) {
  for (const auto& t : kTypes) {
    if (iequal(t.name, name)) return t.type;
  }
  return std::nullopt;
}

const char* type_name(TensorType type) { return type_traits(type).name; }

std::string quantizable_type_names() {
  std::string out;
  for (const auto& t : kTypes) {
    if (!t.can_quantize) continue;
    if (!out.empty()) out += ", ";
    out += t.name;
  }
  return out;
}

uint64_t row_bytes(TensorType type, uint64_t n) {
  const TypeTraits& t = type_traits(type);
  return n / t.block_size * t.type_size;
}

}  // namespace edgelm
