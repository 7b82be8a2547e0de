// The reference's built-in names: global functions (range, namespace, raise_exception,
// strftime_now), tests (`x is defined`) and the methods of strings, lists and mappings.
#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>

#include "chat/jinja/interpreter.h"
#include "chat/jinja/js_text.h"

namespace edgelm::jinja {

namespace {

// Longest list `range` builds; far beyond any chat template's needs.
constexpr double kMaxRangeLength = 1e7;

Value number_value(double v) { return std::isfinite(v) && std::trunc(v) == v ? Value::integer(v) : Value::floating(v); }

// Python's str.title as the reference does it: upper-case every ASCII word character
// that follows a non-word character (the rest of the word is left alone).
std::string title_case(const std::string& s) {
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::string out = s;
  for (size_t i = 0; i < out.size(); ++i) {
    const bool boundary = i == 0 || !(static_cast<unsigned char>(out[i - 1]) < 0x80 && is_word(s[i - 1]));
    if (boundary && static_cast<unsigned char>(out[i]) < 0x80 && out[i] >= 'a' && out[i] <= 'z') out[i] = static_cast<char>(out[i] - 32);
  }
  return out;
}

// String#charAt(0).toUpperCase() + rest: only a first character in the BMP changes.
std::string capitalize(const std::string& s) {
  if (s.empty()) return s;
  size_t i = 0;
  const char32_t first = js::next_code_point(s, i);
  if (first >= 0x10000) return s;
  return js::to_upper(s.substr(0, i)) + s.substr(i);
}

bool starts_or_ends_with(const std::string& s, const ValueList& args, bool start, const char* name) {
  if (args.empty()) raise("{}() requires at least one argument", name);
  auto check = [&](const std::string& affix) {
    if (affix.size() > s.size()) return false;
    return start ? s.compare(0, affix.size(), affix) == 0 : s.compare(s.size() - affix.size(), affix.size(), affix) == 0;
  };
  if (args[0].is(Kind::String)) return check(args[0].str());
  if (args[0].is_list()) {
    for (const Value& item : args[0].items()) {
      if (!item.is(Kind::String)) raise("{}() tuple elements must be strings", name);
      if (check(item.str())) return true;
    }
    return false;
  }
  raise("{}() argument must be a string or tuple of strings", name);
}

// Python's str.split(sep=None, maxsplit=-1) as the reference implements it.
Value split(const std::string& s, const ValueList& args) {
  const Value sep = args.size() > 0 ? args[0] : Value::null();
  if (!sep.is(Kind::String) && !sep.is(Kind::Null)) raise("sep argument must be a string or null");
  const Value maxsplit_v = args.size() > 1 ? args[1] : Value::integer(-1);
  if (!maxsplit_v.is(Kind::Integer)) raise("maxsplit argument must be a number");
  const double maxsplit = maxsplit_v.number();
  std::vector<std::string> parts;
  if (sep.is(Kind::Null)) {
    const std::string_view text = js::trim(s, true, false);
    size_t i = 0;
    while (i < text.size()) {
      while (size_t n = js::space_length_at(text, i)) i += n;
      if (i >= text.size()) break;
      const size_t start = i;
      while (i < text.size() && js::space_length_at(text, i) == 0) js::next_code_point(text, i);
      if (maxsplit != -1 && static_cast<double>(parts.size()) >= maxsplit) {
        parts.emplace_back(text.substr(start));
        break;
      }
      parts.emplace_back(text.substr(start, i - start));
    }
  } else {
    const std::string& delimiter = sep.str();
    if (delimiter.empty()) raise("empty separator");
    size_t start = 0;
    while (true) {
      const size_t at = s.find(delimiter, start);
      parts.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
      if (at == std::string::npos) break;
      start = at + delimiter.size();
    }
    if (maxsplit != -1 && static_cast<double>(parts.size()) > maxsplit) {
      // result.splice(maxsplit) joined back with the separator (JavaScript index rules).
      const double n = static_cast<double>(parts.size());
      const double from = maxsplit < 0 ? std::max(n + std::trunc(maxsplit), 0.0) : std::min(std::trunc(maxsplit), n);
      const auto cut = parts.begin() + static_cast<std::ptrdiff_t>(from);
      std::string rest;
      for (auto it = cut; it != parts.end(); ++it) rest += (it == cut ? "" : delimiter) + *it;
      parts.erase(cut, parts.end());
      parts.push_back(std::move(rest));
    }
  }
  ValueList out;
  for (std::string& p : parts) out.push_back(Value::string(std::move(p)));
  return Value::list(std::move(out));
}

Value replace(const std::string& s, const ValueList& args) {
  if (args.size() < 2) raise("replace() requires at least two arguments");
  if (!args[0].is(Kind::String) || !args[1].is(Kind::String)) raise("replace() arguments must be strings");
  Value count = Value::null();
  if (args.size() > 2) {
    if (args[2].is(Kind::KeywordArgs)) {
      const Value* c = args[2].map().find("count");
      count = c ? *c : Value::null();
    } else {
      count = args[2];
    }
  }
  if (!count.is(Kind::Integer) && !count.is(Kind::Null)) raise("replace() count argument must be a number or null");
  if (count.is(Kind::Integer) && count.number() == 0) return Value::string(s);
  double remaining = count.is(Kind::Null) || count.number() < 0 ? INFINITY : count.number();
  const std::string& from = args[0].str();
  const std::string& to = args[1].str();
  std::string out;
  if (from.empty()) {  // an empty pattern matches between code points and at both ends
    size_t i = 0;
    while (true) {
      if (remaining > 0) {
        out += to;
        --remaining;
      }
      if (i >= s.size()) break;
      const size_t start = i;
      js::next_code_point(s, i);
      out.append(s, start, i - start);
    }
    return Value::string(std::move(out));
  }
  size_t start = 0;
  while (remaining > 0) {
    const size_t at = s.find(from, start);
    if (at == std::string::npos) break;
    out.append(s, start, at - start);
    out += to;
    start = at + from.size();
    --remaining;
  }
  out.append(s, start, std::string::npos);
  return Value::string(std::move(out));
}

Value string_member(const Value& receiver, const std::string& name) {
  const std::string s = receiver.str();
  auto method = [](auto body) {
    return Value::function([body](ValueList& args, const ScopePtr&) { return body(args); });
  };
  if (name == "length") return Value::integer(static_cast<double>(js::utf16_length(s)));
  if (name == "upper") return method([s](ValueList&) { return Value::string(js::to_upper(s)); });
  if (name == "lower") return method([s](ValueList&) { return Value::string(js::to_lower(s)); });
  if (name == "strip") return method([s](ValueList&) { return Value::string(std::string(js::trim(s))); });
  if (name == "lstrip") return method([s](ValueList&) { return Value::string(std::string(js::trim(s, true, false))); });
  if (name == "rstrip") return method([s](ValueList&) { return Value::string(std::string(js::trim(s, false, true))); });
  if (name == "title") return method([s](ValueList&) { return Value::string(title_case(s)); });
  if (name == "capitalize") return method([s](ValueList&) { return Value::string(capitalize(s)); });
  if (name == "startswith") {
    return method([s](ValueList& a) { return Value::boolean(starts_or_ends_with(s, a, true, "startswith")); });
  }
  if (name == "endswith") {
    return method([s](ValueList& a) { return Value::boolean(starts_or_ends_with(s, a, false, "endswith")); });
  }
  if (name == "split") return method([s](ValueList& a) { return split(s, a); });
  if (name == "replace") return method([s](ValueList& a) { return replace(s, a); });
  return Value();
}

Value pairs_of(const ObjectMap& map) {
  ValueList out;
  for (const auto& [key, value] : map.entries()) out.push_back(Value::list({Value::string(key), value}));
  return Value::list(std::move(out));
}

Value dictsort(const ObjectMap& map, const ValueList& args) {
  ObjectMap kwargs;
  ValueList positional;
  for (const Value& a : args) {
    if (a.is(Kind::KeywordArgs)) {
      kwargs = a.map();
    } else {
      positional.push_back(a);
    }
  }
  auto option = [&](size_t i, const char* key, Value fallback) {
    if (i < positional.size()) return positional[i];
    const Value* v = kwargs.find(key);
    return v ? *v : fallback;
  };
  const Value case_sensitive = option(0, "case_sensitive", Value::boolean(false));
  if (!case_sensitive.is(Kind::Boolean)) raise("case_sensitive must be a boolean");
  const Value by = option(1, "by", Value::string("key"));
  if (!by.is(Kind::String)) raise("by must be a string");
  if (by.str() != "key" && by.str() != "value") raise("by must be either 'key' or 'value'");
  const Value reverse = option(2, "reverse", Value::boolean(false));
  if (!reverse.is(Kind::Boolean)) raise("reverse must be a boolean");
  ValueList items = pairs_of(map).items();
  const size_t index = by.str() == "key" ? 0 : 1;
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    const int c = compare_values(a.items()[index], b.items()[index], case_sensitive.as_bool());
    return (reverse.as_bool() ? -c : c) < 0;
  });
  return Value::list(std::move(items));
}

Value object_member(const Value& receiver, const std::string& name) {
  const Value self = receiver;  // shares the map
  auto method = [self](auto body) {
    return Value::function([self, body](ValueList& args, const ScopePtr&) { return body(self.map(), args); });
  };
  if (name == "get") {
    return method([](const ObjectMap& map, ValueList& args) {
      if (args.empty() || !args[0].is(Kind::String)) {
        raise("Object key must be a string: got {}", args.empty() ? "undefined" : kind_name(args[0].kind()));
      }
      if (const Value* v = map.find(args[0].str())) return *v;
      return args.size() > 1 ? args[1] : Value::null();
    });
  }
  if (name == "items") return method([](const ObjectMap& map, ValueList&) { return pairs_of(map); });
  if (name == "keys") {
    return method([](const ObjectMap& map, ValueList&) {
      ValueList out;
      for (const auto& entry : map.entries()) out.push_back(Value::string(entry.first));
      return Value::list(std::move(out));
    });
  }
  if (name == "values") {
    return method([](const ObjectMap& map, ValueList&) {
      ValueList out;
      for (const auto& entry : map.entries()) out.push_back(entry.second);
      return Value::list(std::move(out));
    });
  }
  if (name == "dictsort") return method([](const ObjectMap& map, ValueList& args) { return dictsort(map, args); });
  return Value();
}

std::string strftime_now(const std::string& format) {
  static constexpr std::array<const char*, 12> month_long = {"January", "February", "March", "April", "May", "June",
                                                               "July", "August", "September", "October", "November",
                                                               "December"};
  const std::time_t now = std::time(nullptr);
  std::tm t{};
  localtime_r(&now, &t);
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    const char c = i + 1 < format.size() && format[i] == '%' ? format[i + 1] : '\0';
    switch (c) {
      case 'Y': out += std::to_string(t.tm_year + 1900); break;
      case 'm': out += fmt::format("{:02}", t.tm_mon + 1); break;
      case 'd': out += fmt::format("{:02}", t.tm_mday); break;
      case 'b': out += std::string(month_long[static_cast<size_t>(t.tm_mon)]).substr(0, 3); break;
      case 'B': out += month_long[static_cast<size_t>(t.tm_mon)]; break;
      case 'H': out += fmt::format("{:02}", t.tm_hour); break;
      case 'M': out += fmt::format("{:02}", t.tm_min); break;
      case '%': out += '%'; break;
      default: out += format[i]; continue;
    }
    ++i;
  }
  return out;
}

// range(stop) / range(start, stop[, step]) on the arguments' raw JavaScript values:
// none and undefined are both `undefined` there, so range(3, none) is range(3), and an
// undefined start makes an empty range.
Value range(const ValueList& args) {
  std::array<double, 3> v{NAN, NAN, NAN};
  std::array<bool, 3> given{false, false, false};
  for (size_t i = 0; i < std::min<size_t>(args.size(), 3); ++i) {
    const Value& a = args[i];
    if (a.is_undefined() || a.is(Kind::Null)) continue;
    if (!a.is_number()) raise("unsupported: range() arguments must be numbers");
    v[i] = a.number();
    given[i] = true;
  }
  double start = v[0], stop = v[1];
  const double step = given[2] ? v[2] : 1;
  if (!given[1]) {
    stop = start;
    start = 0;
  }
  if (step == 0) raise("range() step must not be zero");
  ValueList out;
  for (double i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (static_cast<double>(out.size()) >= kMaxRangeLength) raise("range() is too long");
    out.push_back(number_value(i));
  }
  return Value::list(std::move(out));
}

}  // namespace

Value builtin_member(const Value& receiver, const std::string& name) {
  if (receiver.is(Kind::String)) return string_member(receiver, name);
  if (receiver.is_list()) return name == "length" ? Value::integer(static_cast<double>(receiver.items().size())) : Value();
  if (receiver.is_object()) return object_member(receiver, name);
  return Value();
}

bool is_known_test(const std::string& name) {
  static const std::array<const char*, 20> names = {
      "boolean", "callable", "odd",    "even",     "false",   "true",  "none",     "string",    "number", "integer",
      "iterable", "mapping", "sequence", "lower", "upper",   "defined", "undefined", "equalto", "eq",     "none"};
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool run_test(const std::string& name, const Value& x, const Value* argument) {
  if (name == "boolean") return x.is(Kind::Boolean);
  if (name == "callable") return x.is(Kind::Function);
  if (name == "odd" || name == "even") {
    if (!x.is(Kind::Integer)) raise("cannot {} on {}", name, kind_name(x.kind()));
    const double r = std::fmod(x.number(), 2);
    return name == "odd" ? r != 0 : r == 0;  // NaN is odd, as in JavaScript
  }
  if (name == "false") return x.is(Kind::Boolean) && !x.as_bool();
  if (name == "true") return x.is(Kind::Boolean) && x.as_bool();
  if (name == "none") return x.is(Kind::Null);
  if (name == "string") return x.is(Kind::String);
  if (name == "number") return x.is_number();
  if (name == "integer") return x.is(Kind::Integer);
  if (name == "iterable") return x.is(Kind::Array) || x.is(Kind::String);
  if (name == "mapping") return x.is_object();
  if (name == "sequence") return x.is_list() || x.is_object() || x.is(Kind::String);
  if (name == "lower" || name == "upper") {
    if (!x.is(Kind::String)) raise("the '{}' test needs a string, got {}", name, kind_name(x.kind()));
    return x.str() == (name == "lower" ? js::to_lower(x.str()) : js::to_upper(x.str()));
  }
  if (name == "defined") return !x.is_undefined();
  if (name == "undefined") return x.is_undefined();
  if (name == "equalto" || name == "eq") {
    if (!argument) raise("the '{}' test needs a value to compare with", name);
    return strict_equal(x, *argument);
  }
  raise("Unknown test: {}", name);
}

Value Interpreter::new_namespace(ObjectMap map) {
  Value ns = Value::mapping(std::move(map), Kind::Namespace);
  namespaces_.push_back(ns);
  return ns;
}

Value Interpreter::namespace_function() {
  return Value::function([this](ValueList& args, const ScopePtr&) {
    ValueList positional = args;
    ObjectMap keywords;
    if (!positional.empty() && positional.back().is(Kind::KeywordArgs)) {
      keywords = positional.back().map();
      positional.pop_back();
    }
    if (positional.size() > 1) raise("namespace expected at most 1 argument, got {}", positional.size());
    ObjectMap entries;
    if (positional.size() == 1) {
      const Value& source = positional[0];
      if (source.is_object()) {
        for (const auto& [key, value] : source.map().entries()) entries.set(key, value);
      } else if (source.is_list()) {
        for (const Value& pair : source.items()) {
          ValueList kv;
          if (pair.is_list()) kv = pair.items();
          if (pair.is(Kind::String)) {
            for (std::string& c : js::code_points(pair.str())) kv.push_back(Value::string(std::move(c)));
          }
          if (kv.size() != 2) raise("namespace expected an object or an iterable of [key, value] pairs");
          if (!kv[0].is(Kind::String)) raise("namespace keys must be strings");
          entries.set(kv[0].str(), kv[1]);
        }
      } else {
        raise("'{}' object is not iterable", kind_name(source.kind()));
      }
    }
    for (const auto& [key, value] : keywords.entries()) entries.set(key, value);
    return new_namespace(std::move(entries));
  });
}

ScopePtr Interpreter::make_globals() {
  auto globals = std::make_shared<Scope>(nullptr);
  for (const char* name : {"false", "False"}) globals->set(name, Value::boolean(false));
  for (const char* name : {"true", "True"}) globals->set(name, Value::boolean(true));
  for (const char* name : {"none", "None"}) globals->set(name, Value::null());
  globals->set("raise_exception", Value::function([](ValueList& args, const ScopePtr&) -> Value {
    std::string message;
    if (!args.empty() && !args[0].is_undefined() && !args[0].is(Kind::Null)) message = to_raw_string(args[0]);
    raise("raise_exception: {}", message);
  }));
  globals->set("range", Value::function([](ValueList& args, const ScopePtr&) { return range(args); }));
  globals->set("strftime_now", Value::function([](ValueList& args, const ScopePtr&) {
    if (args.empty() || !args[0].is(Kind::String)) raise("strftime_now() needs a format string");
    return Value::string(strftime_now(args[0].str()));
  }));
  return globals;
}

}  // namespace edgelm::jinja
