// Filters (`value | name` and `value | name(args)`), as @huggingface/jinja defines them:
// which filters exist depends on the operand's type, and a filter the reference does
// not know for that type is an error here too.
#include <algorithm>
#include <cmath>

#include "chat/jinja/interpreter.h"
#include "chat/jinja/js_text.h"

namespace edgelm::jinja {

namespace {

const Value* first_of(const ValueList& args, size_t i) { return i < args.size() ? &args[i] : nullptr; }

// args[i] ?? kwargs[name] ?? fallback
Value argument(const ValueList& args, size_t i, const ObjectMap& kwargs, const char* name, Value fallback) {
  if (const Value* v = first_of(args, i)) return *v;
  if (const Value* v = kwargs.find(name)) return *v;
  return fallback;
}

// What Array#join makes of an element: null and undefined become "".
std::string join_piece(const Value& v) {
  return v.is_undefined() || v.is(Kind::Null) ? std::string() : to_raw_string(v);
}

std::string indent_lines(const std::string& text, const std::string& indent, bool first, bool blank) {
  std::string out;
  size_t start = 0, line = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    const std::string_view piece = std::string_view(text).substr(start, end == std::string::npos ? std::string::npos : end - start);
    const bool skip = (!first && line == 0) || (!blank && piece.empty());
    if (!skip) out += indent;
    out += piece;
    if (end == std::string::npos) break;
    out += '\n';
    start = end + 1;
    ++line;
  }
  return out;
}

template <typename Less>
ValueList sorted(const ValueList& items, Less less) {
  ValueList out = items;
  std::stable_sort(out.begin(), out.end(), less);
  return out;
}

}  // namespace

Value attribute_path_value(const Value& item, const std::string& path) {
  Value v = item;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (v.is_mapping()) {
      const Value* found = v.map().find(part);
      v = found ? *found : Value();
    } else if (v.is_list()) {
      const double index = js::parse_int(part);
      if (!(index >= 0 && index < static_cast<double>(v.items().size()))) return Value();
      v = Value(v.items()[static_cast<size_t>(index)]);
    } else {
      return Value();
    }
    if (dot == std::string::npos) return v;
    start = dot + 1;
  }
}

Value Interpreter::apply_filter(const Value& operand, const Node& filter, const ScopePtr& scope) {
  if (filter.kind == NodeKind::Identifier) return apply_plain_filter(operand, as<NameNode>(filter).name);
  if (filter.kind == NodeKind::Call) return apply_call_filter(operand, as<CallNode>(filter), scope);
  raise("Unknown filter expression");
}

Value Interpreter::apply_plain_filter(const Value& operand, const std::string& name) {
  if (name == "safe") return operand;
  if (name == "tojson") return Value::string(to_json(operand, JsonOptions{}));
  if (operand.is_list()) {
    const ValueList& items = operand.items();
    if (name == "list") return operand;
    if (name == "first" || name == "last") {
      if (items.empty()) raise("unsupported: '{}' of an empty list", name);
      return name == "first" ? items.front() : items.back();
    }
    if (name == "length") return Value::integer(static_cast<double>(items.size()));
    if (name == "reverse") return Value::list(ValueList(items.rbegin(), items.rend()));
    if (name == "sort") {
      return Value::list(sorted(items, [](const Value& a, const Value& b) { return compare_values(a, b, false) < 0; }));
    }
    if (name == "join") {
      std::string out;
      for (const Value& item : items) out += join_piece(item);
      return Value::string(std::move(out));
    }
    if (name == "string") return Value::string(to_json(operand, JsonOptions{}, false));
    if (name == "unique") {
      ValueList out;
      for (const Value& item : items) {
        const bool seen = std::any_of(out.begin(), out.end(), [&](const Value& o) { return same_value_zero(o, item); });
        if (!seen) out.push_back(item);
      }
      return Value::list(std::move(out));
    }
    raise("Unknown ArrayValue filter: {}", name);
  }
  if (operand.is(Kind::String)) {
    const std::string& s = operand.str();
    if (name == "length") return Value::integer(static_cast<double>(js::utf16_length(s)));
    if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
      ValueList no_args;
      return builtin_member(operand, name).fn()(no_args, nullptr);
    }
    if (name == "trim") return Value::string(std::string(js::trim(s)));
    if (name == "indent") return Value::string(indent_lines(s, "    ", false, false));
    if (name == "join" || name == "string") return operand;
    if (name == "int") {
      const double v = js::parse_int(s);
      return Value::integer(std::isnan(v) ? 0 : v);
    }
    if (name == "float") {
      const double v = js::parse_float(s);
      return Value::floating(std::isnan(v) ? 0 : v);
    }
    raise("Unknown StringValue filter: {}", name);
  }
  if (operand.is_number()) {
    const double v = operand.number();
    if (name == "abs") return operand.is(Kind::Integer) ? Value::integer(std::fabs(v)) : Value::floating(std::fabs(v));
    if (name == "int") return Value::integer(std::floor(v));
    if (name == "float") return Value::floating(v);
    if (name == "string") return Value::string(to_display(operand));
    raise("Unknown NumericValue filter: {}", name);
  }
  if (operand.is_object()) {
    if (name == "length") return Value::integer(static_cast<double>(operand.map().size()));
    const Value method = builtin_member(operand, name);  // items, keys, values, dictsort, get
    if (method.is(Kind::Function)) {
      ValueList no_args;
      return method.fn()(no_args, nullptr);
    }
    if (!method.is_undefined()) return method;
    raise("Unknown ObjectValue filter: {}", name);
  }
  if (operand.is(Kind::Boolean)) {
    const bool b = operand.as_bool();
    if (name == "bool") return operand;
    if (name == "int") return Value::integer(b ? 1 : 0);
    if (name == "float") return Value::floating(b ? 1 : 0);
    if (name == "string") return Value::string(b ? "true" : "false");
    raise("Unknown BooleanValue filter: {}", name);
  }
  raise("Cannot apply filter \"{}\" to type: {}", name, kind_name(operand.kind()));
}

Value Interpreter::apply_call_filter(const Value& operand, const CallNode& filter, const ScopePtr& scope) {
  if (filter.callee->kind != NodeKind::Identifier) raise("Unknown filter expression");
  const std::string& name = as<NameNode>(*filter.callee).name;
  ValueList args;
  ObjectMap kwargs;
  auto evaluate_args = [&] { evaluate_arguments(filter.args, scope, args, kwargs); };

  if (name == "tojson") {
    evaluate_args();
    JsonOptions options;
    const Value indent = argument({}, 0, kwargs, "indent", Value::null());
    if (!indent.is(Kind::Integer) && !indent.is(Kind::Null)) raise("If set, indent must be a number");
    if (indent.is(Kind::Integer)) {
      if (indent.number() < 0 || indent.number() > 1e6) raise("Invalid indent {}", js::number_to_string(indent.number()));
      options.indent = std::isnan(indent.number()) ? 0 : std::trunc(indent.number());
    }
    const Value ascii = argument({}, 0, kwargs, "ensure_ascii", Value::boolean(false));
    if (!ascii.is(Kind::Boolean)) raise("If set, ensure_ascii must be a boolean");
    options.ensure_ascii = ascii.as_bool();
    const Value sort_keys = argument({}, 0, kwargs, "sort_keys", Value::boolean(false));
    if (!sort_keys.is(Kind::Boolean)) raise("If set, sort_keys must be a boolean");
    // The reference orders keys with localeCompare (locale collation), which this
    // implementation does not reproduce; refusing beats rendering different text.
    if (sort_keys.as_bool()) raise("unsupported: tojson(sort_keys=true)");
    const Value separators = argument({}, 0, kwargs, "separators", Value::null());
    if (separators.is_list()) {
      const ValueList& parts = separators.items();
      if (parts.size() != 2 || !parts[0].is(Kind::String) || !parts[1].is(Kind::String)) {
        raise("separators must be a tuple of two strings");
      }
      options.has_separators = true;
      options.item_separator = parts[0].str();
      options.key_separator = parts[1].str();
    } else if (!separators.is(Kind::Null)) {
      raise("If set, separators must be a tuple of two strings");
    }
    return Value::string(to_json(operand, options));
  }
  if (name == "join") {
    std::vector<std::string> pieces;
    if (operand.is(Kind::String)) {
      pieces = js::code_points(operand.str());
    } else if (operand.is_list()) {
      for (const Value& item : operand.items()) pieces.push_back(join_piece(item));
    } else {
      raise("Cannot apply filter \"join\" to type: {}", kind_name(operand.kind()));
    }
    evaluate_args();
    const Value separator = argument(args, 0, kwargs, "separator", Value::string(""));
    if (!separator.is(Kind::String)) raise("separator must be a string");
    std::string out;
    for (size_t i = 0; i < pieces.size(); ++i) out += (i > 0 ? separator.str() : "") + pieces[i];
    return Value::string(std::move(out));
  }
  if (name == "int" || name == "float") {
    evaluate_args();
    const bool integer = name == "int";
    const Value fallback = argument(args, 0, kwargs, "default", integer ? Value::integer(0) : Value::floating(0));
    if (operand.is(Kind::String)) {
      const double v = integer ? js::parse_int(operand.str()) : js::parse_float(operand.str());
      if (std::isnan(v)) return fallback;
      return integer ? Value::integer(v) : Value::floating(v);
    }
    if (operand.is_number()) return operand;
    if (operand.is(Kind::Boolean)) {
      const double v = operand.as_bool() ? 1 : 0;
      return integer ? Value::integer(v) : Value::floating(v);
    }
    raise("Cannot apply filter \"{}\" to type: {}", name, kind_name(operand.kind()));
  }
  if (name == "default") {
    evaluate_args();
    const Value fallback = args.empty() ? Value::string("") : args[0];
    const Value boolean = argument(args, 1, kwargs, "boolean", Value::boolean(false));
    if (!boolean.is(Kind::Boolean)) raise("`default` filter flag must be a boolean");
    if (operand.is_undefined() || (boolean.as_bool() && !truthy(operand))) return fallback;
    return operand;
  }
  if (operand.is_list()) return filter_list(operand, name, filter, scope);
  if (operand.is(Kind::String)) {
    if (name == "indent") {
      evaluate_args();
      const Value width = argument(args, 0, kwargs, "width", Value::integer(4));
      if (!width.is(Kind::Integer)) raise("width must be a number");
      const Value first = argument(args, 1, kwargs, "first", Value::boolean(false));
      const Value blank = argument(args, 2, kwargs, "blank", Value::boolean(false));
      const double w = width.number();
      if (w < 0 || w > 1e6) raise("Invalid indent width {}", js::number_to_string(w));
      const std::string indent(std::isnan(w) ? 0 : static_cast<size_t>(w), ' ');
      return Value::string(indent_lines(operand.str(), indent, raw_truthy(first), raw_truthy(blank)));
    }
    if (name == "replace") {
      evaluate_args();
      args.push_back(Value::mapping(std::move(kwargs), Kind::KeywordArgs));
      return builtin_member(operand, "replace").fn()(args, scope);
    }
    raise("Unknown StringValue filter: {}", name);
  }
  if (operand.is_object()) {
    const Value method = builtin_member(operand, name);
    if (!method.is(Kind::Function)) raise("Unknown ObjectValue filter: {}", name);
    evaluate_args();
    if (!kwargs.empty()) args.push_back(Value::mapping(std::move(kwargs), Kind::KeywordArgs));
    return method.fn()(args, scope);
  }
  raise("Cannot apply filter \"{}\" to type: {}", name, kind_name(operand.kind()));
}

Value Interpreter::filter_list(const Value& operand, const std::string& name, const CallNode& filter,
                               const ScopePtr& scope) {
  const ValueList& items = operand.items();
  ValueList args;
  ObjectMap kwargs;
  if (name == "sort") {
    evaluate_arguments(filter.args, scope, args, kwargs);
    const Value reverse = argument(args, 0, kwargs, "reverse", Value::boolean(false));
    if (!reverse.is(Kind::Boolean)) raise("reverse must be a boolean");
    const Value case_sensitive = argument(args, 1, kwargs, "case_sensitive", Value::boolean(false));
    if (!case_sensitive.is(Kind::Boolean)) raise("case_sensitive must be a boolean");
    const Value attribute = argument(args, 2, kwargs, "attribute", Value::null());
    if (!attribute.is(Kind::String) && !attribute.is(Kind::Integer) && !attribute.is(Kind::Null)) {
      raise("attribute must be a string, integer, or null");
    }
    auto key = [&attribute](const Value& item) {
      if (attribute.is(Kind::Null)) return item;
      return attribute_path_value(item, attribute.is(Kind::String) ? attribute.str() : js::number_to_string(attribute.number()));
    };
    const bool rev = reverse.as_bool(), cs = case_sensitive.as_bool();
    return Value::list(sorted(items, [&](const Value& a, const Value& b) {
      const int c = compare_values(key(a), key(b), cs);
      return (rev ? -c : c) < 0;
    }));
  }
  if (name == "selectattr" || name == "rejectattr") {
    const bool select = name == "selectattr";
    for (const Value& item : items) {
      if (!item.is_mapping()) raise("`{}` can only be applied to array of objects", name);
    }
    for (const NodePtr& arg : filter.args) {
      if (arg->kind != NodeKind::StringLiteral) raise("arguments of `{}` must be strings", name);
    }
    for (const NodePtr& arg : filter.args) args.push_back(evaluate(*arg, scope));
    const Value* test = first_of(args, 1);
    const Value* test_argument = first_of(args, 2);
    if (test && !is_known_test(test->str())) raise("Unknown test: {}", test->str());
    ValueList out;
    for (const Value& item : items) {
      if (args.empty()) raise("`{}` needs an attribute name", name);
      const Value* a = item.map().find(args[0].str());
      bool result = false;
      if (a) result = test ? run_test(test->str(), *a, test_argument) : truthy(*a);
      if (result == select) out.push_back(item);
    }
    return Value::list(std::move(out));
  }
  if (name == "map") {
    evaluate_arguments(filter.args, scope, args, kwargs);
    const Value* attribute = kwargs.find("attribute");
    if (!attribute) raise("unsupported: `map` without `attribute` (as in the reference)");
    if (!attribute->is(Kind::String)) raise("attribute must be a string");
    const Value* fallback = kwargs.find("default");
    ValueList out;
    for (const Value& item : items) {
      if (!item.is_mapping()) raise("items in map must be an object");
      Value v = attribute_path_value(item, attribute->str());
      out.push_back(v.is_undefined() && fallback ? *fallback : v);
    }
    return Value::list(std::move(out));
  }
  raise("Unknown ArrayValue filter: {}", name);
}

}  // namespace edgelm::jinja
