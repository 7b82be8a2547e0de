#pragma once
// A GGUF metadata value as read from a file. Strings and arrays of fixed-size scalars
// point into the file mapping (no copies); arrays of strings and arrays of arrays are
// materialised as lists because they have no fixed stride.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgelm {

enum class ValueType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};

// nullptr when `id` is not a GGUF value type.
const char* value_type_name(uint32_t id);
inline const char* value_type_name(ValueType t) { return value_type_name(static_cast<uint32_t>(t)); }
// Size in bytes of a fixed-size scalar type; 0 for STRING and ARRAY.
size_t value_type_size(ValueType t);
bool is_integer_type(ValueType t);

struct Value {
  ValueType type = ValueType::U8;

  // Scalars (type U8..F64 except STRING/ARRAY): the value widened to 64 bits.
  uint64_t u = 0;      // unsigned integer types and BOOL
  int64_t i = 0;       // signed integer types
  double f = 0;        // F32 and F64

  std::string_view str;  // STRING

  // ARRAY
  ValueType elem_type = ValueType::U8;
  uint64_t count = 0;
  const uint8_t* raw = nullptr;            // fixed-size scalar elements, little endian
  std::vector<std::string_view> strings;   // STRING elements
  std::vector<Value> items;                // ARRAY elements (nested arrays)

  bool is_array() const { return type == ValueType::ARRAY; }
  // Element `k` of a fixed-size scalar array as a scalar Value.
  Value element(uint64_t k) const;
  // Integer value of an integer or bool scalar, as int64 (u64 values above INT64_MAX
  // saturate; callers range-check).
  int64_t as_int() const;
  double as_double() const;  // any numeric scalar
  // Short human-readable rendering (arrays abbreviated), for `edgelm info`.
  std::string to_display(size_t max_items = 8) const;
};

}  // namespace edgelm
