#pragma once
// Runtime values of the template language, modelled on @huggingface/jinja's: numbers
// are doubles (an Integer is a double the reference created as an integer), strings
// are UTF-8, and lists, mappings and functions are shared references, because the
// reference compares them by identity and namespaces are mutated in place.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace edgelm::jinja {

// A runtime failure without a location yet; the interpreter adds the line and column
// of the expression being evaluated and turns it into an edgelm::Error.
class Failure : public std::runtime_error {
 public:
  explicit Failure(const std::string& message) : std::runtime_error(message) {}
};
template <typename... Args>
[[noreturn]] void raise(fmt::format_string<Args...> format, Args&&... args) {
  throw Failure(fmt::format(format, std::forward<Args>(args)...));
}

enum class Kind : uint8_t {
  Undefined, Null, Boolean, Integer, Float, String,
  Array, Tuple,                    // lists (a tuple is what (a, b) evaluates to)
  Object, KeywordArgs, Namespace,  // mappings of string keys, in insertion order
  Function,
};
// The reference's type names ("StringValue", ...), used in error messages.
const char* kind_name(Kind kind);

class Value;
class ObjectMap;
class Scope;
using ScopePtr = std::shared_ptr<Scope>;
using ValueList = std::vector<Value>;
// A callable: positional arguments (keyword arguments, if any, arrive as a trailing
// KeywordArgs value, as in the reference) and the scope of the caller.
using Function = std::function<Value(ValueList& args, const ScopePtr& caller)>;

class Value {
 public:
  Value() = default;  // undefined
  static Value null() { return Value(Kind::Null, std::monostate{}); }
  static Value boolean(bool b) { return Value(Kind::Boolean, b); }
  static Value integer(double v) { return Value(Kind::Integer, v); }
  static Value floating(double v) { return Value(Kind::Float, v); }
  static Value string(std::string s) { return Value(Kind::String, std::move(s)); }
  static Value list(ValueList items, Kind kind = Kind::Array);
  static Value mapping(ObjectMap map, Kind kind = Kind::Object);
  static Value function(Function fn);

  Kind kind() const { return kind_; }
  bool is(Kind k) const { return kind_ == k; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_number() const { return kind_ == Kind::Integer || kind_ == Kind::Float; }
  bool is_list() const { return kind_ == Kind::Array || kind_ == Kind::Tuple; }
  bool is_object() const { return kind_ == Kind::Object || kind_ == Kind::KeywordArgs; }  // has methods
  bool is_mapping() const { return is_object() || kind_ == Kind::Namespace; }            // has attributes

  bool as_bool() const { return std::get<bool>(data_); }
  double number() const { return std::get<double>(data_); }
  const std::string& str() const { return std::get<std::string>(data_); }
  const ValueList& items() const { return *std::get<std::shared_ptr<ValueList>>(data_); }
  const ObjectMap& map() const { return *std::get<std::shared_ptr<ObjectMap>>(data_); }
  ObjectMap& mutable_map() const { return *std::get<std::shared_ptr<ObjectMap>>(data_); }
  const Function& fn() const { return *std::get<std::shared_ptr<Function>>(data_); }
  // Identity of a list, mapping or function (what JavaScript's === compares).
  const void* identity() const;

 private:
  using Data = std::variant<std::monostate, bool, double, std::string, std::shared_ptr<ValueList>,
                            std::shared_ptr<ObjectMap>, std::shared_ptr<Function>>;
  Value(Kind k, Data d) : kind_(k), data_(std::move(d)) {}
  Kind kind_ = Kind::Undefined;
  Data data_;
};

// String-keyed map that remembers insertion order (a JavaScript Map).
class ObjectMap {
 public:
  const Value* find(std::string_view key) const;
  void set(const std::string& key, Value value);  // an existing key keeps its place
  bool erase(const std::string& key);
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  void clear();

 private:
  std::vector<std::pair<std::string, Value>> entries_;
  std::unordered_map<std::string, size_t> index_;
};

// --- JavaScript semantics of values ---------------------------------------------------

// Python-like truthiness as the reference defines it (empty lists and mappings are
// false; a namespace is always true).
bool truthy(const Value& v);
// JavaScript truthiness of the underlying value (every list or mapping is true).
bool raw_truthy(const Value& v);
// What {{ v }} prints (the reference's toString()).
std::string to_display(const Value& v);
// String(v.value): what `~` and string `+` concatenate.
std::string to_raw_string(const Value& v);
// JavaScript == and === on the underlying values; SameValueZero for `unique`.
bool loose_equal(const Value& a, const Value& b);
bool strict_equal(const Value& a, const Value& b);
bool same_value_zero(const Value& a, const Value& b);
// Ordering for sort and dictsort; throws on values the reference refuses to compare.
int compare_values(const Value& a, const Value& b, bool case_sensitive);

struct JsonOptions {
  double indent = 0;  // 0: single line
  bool ensure_ascii = false;
  bool has_separators = false;
  std::string item_separator, key_separator;
};
// The reference's toJSON (JSON.stringify-like, Python's separators).
std::string to_json(const Value& v, const JsonOptions& options, bool undefined_as_null = true);

// A JSON document as the reference sees it after JSON.parse: numbers are doubles
// (integral ones are Integers) and object keys that are array indices come first.
Value from_json(const nlohmann::ordered_json& json);

}  // namespace edgelm::jinja
