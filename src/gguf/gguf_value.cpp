#include "gguf/gguf_value.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>

#include "util/error.h"

namespace edgelm {

const char* value_type_name(uint32_t id) {
  static constexpr const char* kNames[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                           "bool", "string", "array", "u64", "i64", "f64"};
  return id < std::size(kNames) ? kNames[id] : nullptr;
}

size_t value_type_size(ValueType t) {
  switch (t) {
    case ValueType::U8: case ValueType::I8: case ValueType::BOOL: return 1;
    case ValueType::U16: case ValueType::I16: return 2;
    case ValueType::U32: case ValueType::I32: case ValueType::F32: return 4;
    case ValueType::U64: case ValueType::I64: case ValueType::F64: return 8;
    case ValueType::STRING: case ValueType::ARRAY: return 0;
  }
  return 0;
}

bool is_integer_type(ValueType t) {
  switch (t) {
    case ValueType::U8: case ValueType::I8: case ValueType::U16: case ValueType::I16:
    case ValueType::U32: case ValueType::I32: case ValueType::U64: case ValueType::I64: return true;
    default: return false;
  }
}

namespace {
template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
}  // namespace

Value Value::element(uint64_t k) const {
  Value v;
  v.type = elem_type;
  const uint8_t* p = raw + k * value_type_size(elem_type);
  switch (elem_type) {
    case ValueType::U8: v.u = load<uint8_t>(p); break;
    case ValueType::I8: v.i = load<int8_t>(p); break;
    case ValueType::U16: v.u = load<uint16_t>(p); break;
    case ValueType::I16: v.i = load<int16_t>(p); break;
    case ValueType::U32: v.u = load<uint32_t>(p); break;
    case ValueType::I32: v.i = load<int32_t>(p); break;
    case ValueType::U64: v.u = load<uint64_t>(p); break;
    case ValueType::I64: v.i = load<int64_t>(p); break;
    case ValueType::F32: v.f = load<float>(p); break;
    case ValueType::F64: v.f = load<double>(p); break;
    case ValueType::BOOL: v.u = load<uint8_t>(p) != 0; break;
    case ValueType::STRING: v.str = strings.at(k); break;
    case ValueType::ARRAY: return items.at(k);
  }
  return v;
}

int64_t Value::as_int() const {
  switch (type) {
    case ValueType::I8: case ValueType::I16: case ValueType::I32: case ValueType::I64: return i;
    case ValueType::U8: case ValueType::U16: case ValueType::U32: case ValueType::U64: case ValueType::BOOL:
      return u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max()
                                                                            : static_cast<int64_t>(u);
    case ValueType::F32: case ValueType::F64: return static_cast<int64_t>(f);
    default: return 0;
  }
}

double Value::as_double() const {
  switch (type) {
    case ValueType::F32: case ValueType::F64: return f;
    case ValueType::I8: case ValueType::I16: case ValueType::I32: case ValueType::I64: return static_cast<double>(i);
    default: return static_cast<double>(u);
  }
}

std::string Value::to_display(size_t max_items) const {
  switch (type) {
    case ValueType::STRING: {
      std::string s = printable(str, 60);
      return fmt::format("\"{}\"", s);
    }
    case ValueType::BOOL: return u ? "true" : "false";
    case ValueType::F32: case ValueType::F64: return fmt::format("{:g}", f);
    case ValueType::I8: case ValueType::I16: case ValueType::I32: case ValueType::I64: return fmt::format("{}", i);
    case ValueType::ARRAY: {
      std::string out = fmt::format("[{} x {}]", count, value_type_name(elem_type));
      const uint64_t n = std::min<uint64_t>(count, max_items);
      out += " [";
      for (uint64_t k = 0; k < n; ++k) {
        if (k) out += ", ";
        out += element(k).to_display(max_items);
      }
      if (n < count) out += ", ...";
      out += "]";
      return out;
    }
    default: return fmt::format("{}", u);
  }
}

}  // namespace edgelm
