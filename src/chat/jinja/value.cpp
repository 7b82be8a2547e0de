#include "chat/jinja/value.h"

#include <algorithm>
#include <cmath>

#include "chat/jinja/js_text.h"

namespace edgelm::jinja {

namespace {

// Nesting beyond which printing or converting gives up (a namespace can contain itself).
constexpr int kMaxDepth = 256;

// The JavaScript type of a value's underlying data, for == and ===. The reference's
// none holds `undefined` (its NullValue is constructed without a value), so none and
// undefined compare equal even under ===.
enum class JsType { Undefined, Boolean, Number, String, Object };

JsType js_type(const Value& v) {
  switch (v.kind()) {
    case Kind::Undefined:
    case Kind::Null: return JsType::Undefined;
    case Kind::Boolean: return JsType::Boolean;
    case Kind::Integer:
    case Kind::Float: return JsType::Number;
    case Kind::String: return JsType::String;
    default: return JsType::Object;
  }
}

std::string json_impl(const Value& v, const JsonOptions& o, int depth, bool undefined_as_null) {
  if (depth > kMaxDepth) raise("value nests too deeply to convert to JSON");
  const bool indent = o.indent != 0;
  const std::string item_sep = o.has_separators ? o.item_separator : indent ? "," : ", ";
  const std::string key_sep = o.has_separators ? o.key_separator : ": ";
  auto quote = [&](std::string_view s) { return o.ensure_ascii ? js::ascii_escape(js::json_quote(s)) : js::json_quote(s); };
  switch (v.kind()) {
    case Kind::Null: return "null";
    case Kind::Undefined: return undefined_as_null ? "null" : "undefined";
    case Kind::Integer:
    case Kind::Float: return std::isfinite(v.number()) ? js::number_to_string(v.number()) : "null";
    case Kind::Boolean: return v.as_bool() ? "true" : "false";
    case Kind::String: return quote(v.str());
    // The reference serializes only arrays, objects and namespaces.
    case Kind::Function:
    case Kind::Tuple:
    case Kind::KeywordArgs: raise("Cannot convert to JSON: {}", kind_name(v.kind()));
    default: break;
  }
  const std::string unit = indent ? std::string(static_cast<size_t>(o.indent), ' ') : "";
  std::string base = "\n";
  for (int i = 0; i < depth; ++i) base += unit;
  const std::string child = base + unit;
  std::vector<std::string> parts;
  if (v.is_list()) {
    for (const Value& item : v.items()) parts.push_back(json_impl(item, o, depth + 1, undefined_as_null));
  } else {
    for (const auto& [key, item] : v.map().entries()) {
      std::string part = quote(key) + key_sep + json_impl(item, o, depth + 1, undefined_as_null);
      parts.push_back(indent ? child + part : part);
    }
  }
  const bool list = v.is_list();
  std::string out(1, list ? '[' : '{');
  if (indent && !parts.empty() && list) out += child;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += list && indent ? item_sep + child : item_sep;
    out += parts[i];
  }
  if (indent && !parts.empty()) out += base;
  out += list ? ']' : '}';
  return out;
}

// Keys JavaScript orders first in an object: canonical array indices (0 .. 2^32-2).
bool is_array_index(const std::string& key) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return false;
  for (const char c : key) {
    if (c < '0' || c > '9') return false;
  }
  return std::stoull(key) <= 4294967294ull;
}

Value from_json_impl(const nlohmann::ordered_json& j, int depth) {
  if (depth > kMaxDepth) raise("JSON input nests too deeply");
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null: return Value::null();
    case nlohmann::ordered_json::value_t::boolean: return Value::boolean(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
    case nlohmann::ordered_json::value_t::number_unsigned:
    case nlohmann::ordered_json::value_t::number_float: {
      const double d = j.get<double>();
      return std::isfinite(d) && std::trunc(d) == d ? Value::integer(d) : Value::floating(d);
    }
    case nlohmann::ordered_json::value_t::string: return Value::string(js::sanitize_utf8(j.get_ref<const std::string&>()));
    case nlohmann::ordered_json::value_t::array: {
      ValueList items;
      items.reserve(j.size());
      for (const auto& item : j) items.push_back(from_json_impl(item, depth + 1));
      return Value::list(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      std::vector<std::pair<std::string, const nlohmann::ordered_json*>> fields;
      for (const auto& [key, item] : j.items()) fields.emplace_back(js::sanitize_utf8(key), &item);
      std::stable_sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) {
        const bool ia = is_array_index(a.first), ib = is_array_index(b.first);
        if (ia != ib) return ia;
        return ia && std::stoull(a.first) < std::stoull(b.first);
      });
      ObjectMap map;
      for (const auto& [key, item] : fields) map.set(key, from_json_impl(*item, depth + 1));
      return Value::mapping(std::move(map));
    }
    default: raise("unsupported JSON value (binary)");
  }
}

std::string display_impl(const Value& v);

std::string raw_string_impl(const Value& v) {
  switch (v.kind()) {
    case Kind::Integer:
    case Kind::Float: return js::number_to_string(v.number());
    case Kind::String: return v.str();
    case Kind::Boolean: return v.as_bool() ? "true" : "false";
    case Kind::Array:
    case Kind::Tuple: {
      std::string out;
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i > 0) out += ',';
        out += display_impl(v.items()[i]);
      }
      return out;
    }
    case Kind::Object:
    case Kind::KeywordArgs:
    case Kind::Namespace: return "[object Map]";
    case Kind::Function: raise("unsupported: converting a function to a string");
    default: raise("Cannot convert {} to a string", kind_name(v.kind()));
  }
}

std::string display_impl(const Value& v) {
  switch (v.kind()) {
    case Kind::Undefined: return "undefined";
    case Kind::Null: return "null";
    case Kind::Integer: return js::number_to_string(v.number());
    case Kind::Float: return js::float_to_string(v.number());
    case Kind::String: return v.str();
    case Kind::Boolean: return v.as_bool() ? "true" : "false";
    case Kind::Function: raise("unsupported: printing a function");
    default: return json_impl(v, JsonOptions{}, 0, false);
  }
}

}  // namespace

const char* kind_name(Kind kind) {
  static constexpr const char* names[] = {"UndefinedValue", "NullValue",  "BooleanValue", "IntegerValue",
                                          "FloatValue",     "StringValue", "ArrayValue",   "TupleValue",
                                          "ObjectValue",    "KeywordArgumentsValue", "NamespaceValue",
                                          "FunctionValue"};
  return names[static_cast<size_t>(kind)];
}

Value Value::list(ValueList items, Kind kind) { return Value(kind, std::make_shared<ValueList>(std::move(items))); }
Value Value::mapping(ObjectMap map, Kind kind) { return Value(kind, std::make_shared<ObjectMap>(std::move(map))); }
Value Value::function(Function fn) { return Value(Kind::Function, std::make_shared<Function>(std::move(fn))); }

const void* Value::identity() const {
  if (const auto* l = std::get_if<std::shared_ptr<ValueList>>(&data_)) return l->get();
  if (const auto* m = std::get_if<std::shared_ptr<ObjectMap>>(&data_)) return m->get();
  if (const auto* f = std::get_if<std::shared_ptr<Function>>(&data_)) return f->get();
  return nullptr;
}

const Value* ObjectMap::find(std::string_view key) const {
  const auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

void ObjectMap::set(const std::string& key, Value value) {
  const auto [it, inserted] = index_.emplace(key, entries_.size());
  if (inserted) {
    entries_.emplace_back(key, std::move(value));
  } else {
    entries_[it->second].second = std::move(value);
  }
}

bool ObjectMap::erase(const std::string& key) {
  const auto it = index_.find(key);
  if (it == index_.end()) return false;
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(it->second));
  index_.clear();
  for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
  return true;
}

void ObjectMap::clear() {
  entries_.clear();
  index_.clear();
}

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::Array:
    case Kind::Tuple: return !v.items().empty();
    case Kind::Object:
    case Kind::KeywordArgs: return !v.map().empty();
    default: return raw_truthy(v);
  }
}

bool raw_truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::Undefined:
    case Kind::Null: return false;
    case Kind::Boolean: return v.as_bool();
    case Kind::Integer:
    case Kind::Float: return v.number() != 0 && !std::isnan(v.number());
    case Kind::String: return !v.str().empty();
    default: return true;
  }
}

std::string to_display(const Value& v) { return display_impl(v); }
std::string to_raw_string(const Value& v) { return raw_string_impl(v); }

bool strict_equal(const Value& a, const Value& b) {
  const JsType ta = js_type(a), tb = js_type(b);
  if (ta != tb) return false;
  switch (ta) {
    case JsType::Undefined: return true;
    case JsType::Boolean: return a.as_bool() == b.as_bool();
    case JsType::Number: return a.number() == b.number();
    case JsType::String: return a.str() == b.str();
    case JsType::Object: return a.identity() == b.identity();
  }
  return false;
}

bool same_value_zero(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number() && std::isnan(a.number()) && std::isnan(b.number())) return true;
  return strict_equal(a, b);
}

bool loose_equal(const Value& a, const Value& b) {
  const JsType ta = js_type(a), tb = js_type(b);
  if (ta == tb) return strict_equal(a, b);
  if (ta == JsType::Undefined || tb == JsType::Undefined) return false;  // the other one is not
  // Booleans compare as numbers, strings convert to numbers, lists to their joined text.
  if (ta == JsType::Boolean) return loose_equal(Value::integer(a.as_bool() ? 1 : 0), b);
  if (tb == JsType::Boolean) return loose_equal(a, Value::integer(b.as_bool() ? 1 : 0));
  if (ta == JsType::Object || tb == JsType::Object) {
    const Value& object = ta == JsType::Object ? a : b;
    const Value& other = ta == JsType::Object ? b : a;
    if (object.is(Kind::Function)) return false;
    return loose_equal(Value::string(raw_string_impl(object)), other);
  }
  const double x = ta == JsType::Number ? a.number() : js::string_to_number(a.str());
  const double y = tb == JsType::Number ? b.number() : js::string_to_number(b.str());
  return x == y;
}

int compare_values(const Value& a, const Value& b, bool case_sensitive) {
  if (a.is(Kind::Null) && b.is(Kind::Null)) return 0;
  if (a.is(Kind::Null) || b.is(Kind::Null)) raise("Cannot compare {} with {}", kind_name(a.kind()), kind_name(b.kind()));
  if (a.is_undefined() && b.is_undefined()) return 0;
  if (a.is_undefined() || b.is_undefined()) raise("Cannot compare {} with {}", kind_name(a.kind()), kind_name(b.kind()));
  auto numeric = [](const Value& v, double& out) {
    if (v.is_number()) out = v.number();
    else if (v.is(Kind::Boolean)) out = v.as_bool() ? 1 : 0;
    else return false;
    return true;
  };
  double x = 0, y = 0;
  if (numeric(a, x) && numeric(b, y)) return x < y ? -1 : x > y ? 1 : 0;
  if (a.kind() != b.kind()) raise("Cannot compare different types: {} and {}", kind_name(a.kind()), kind_name(b.kind()));
  if (!a.is(Kind::String)) raise("Cannot compare type: {}", kind_name(a.kind()));
  if (case_sensitive) return js::compare_utf16(a.str(), b.str());
  return js::compare_utf16(js::to_lower(a.str()), js::to_lower(b.str()));
}

std::string to_json(const Value& v, const JsonOptions& options, bool undefined_as_null) {
  return json_impl(v, options, 0, undefined_as_null);
}

Value from_json(const nlohmann::ordered_json& json) { return from_json_impl(json, 0); }

}  // namespace edgelm::jinja
