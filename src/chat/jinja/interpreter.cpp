#include "chat/jinja/interpreter.h"

#include <cmath>
#include <set>

#include "chat/jinja/js_text.h"
#include "util/error.h"

namespace edgelm::jinja {

namespace {

// Bounds evaluation depth (nested expressions, blocks and macro calls) so that
// runaway recursion is an error, not a stack overflow.
constexpr int kMaxEvalDepth = 600;

struct BreakSignal {};
struct ContinueSignal {};

// Which of a macro's `kwargs` / `varargs` the body reads before declaring them (the
// reference collects extra arguments only then, as Jinja does).
class SpecialArgumentScan {
 public:
  bool kwargs = false, varargs = false;

  SpecialArgumentScan(const NodeList& params, const NodeList& body) {
    declare_params(params);
    visit(body);
  }

 private:
  std::set<std::string> declared_;

  void declare(const std::string& name) {
    if (name == "kwargs" || name == "varargs") declared_.insert(name);
  }
  void declare_target(const Node* n) {
    if (!n) return;
    if (n->kind == NodeKind::Identifier) declare(as<NameNode>(*n).name);
    if (n->kind == NodeKind::TupleLiteral) {
      for (const NodePtr& item : as<ListNode>(*n).items) declare_target(item.get());
    }
  }
  void declare_params(const NodeList& params) {
    for (const NodePtr& p : params) {
      declare(p->kind == NodeKind::Identifier ? as<NameNode>(*p).name : as<KeywordArgumentNode>(*p).key);
    }
  }
  void visit_defaults(const NodeList& params) {
    for (const NodePtr& p : params) {
      if (p->kind == NodeKind::KeywordArgument) visit(as<KeywordArgumentNode>(*p).value.get());
    }
  }
  void visit_filter(const Node* filter) {
    if (filter && filter->kind == NodeKind::Call) visit(as<CallNode>(*filter).args);
  }
  void visit(const NodeList& nodes) {
    for (const NodePtr& n : nodes) visit(n.get());
  }
  void visit(const Node* n) {
    if (!n) return;
    switch (n->kind) {
      case NodeKind::For: {
        const auto& f = as<ForNode>(*n);
        declare_target(f.target.get());
        if (f.iterable->kind == NodeKind::Select) {  // Jinja visits a loop filter last
          const auto& s = as<SelectNode>(*f.iterable);
          visit(s.value.get());
          visit(f.body);
          visit(f.else_body);
          visit(s.test.get());
        } else {
          visit(f.iterable.get());
          visit(f.body);
          visit(f.else_body);
        }
        return;
      }
      case NodeKind::Set: {
        const auto& s = as<SetNode>(*n);
        declare_target(s.target.get());
        visit(s.value.get());
        visit(s.body);
        return;
      }
      case NodeKind::Macro: {
        const auto& m = as<MacroNode>(*n);
        declare_params(m.params);
        visit_defaults(m.params);
        visit(m.body);
        return;
      }
      case NodeKind::CallBlock: {
        const auto& c = as<CallBlockNode>(*n);
        visit(c.call.get());
        declare_params(c.caller_params);
        visit_defaults(c.caller_params);
        visit(c.body);
        return;
      }
      case NodeKind::FilterBlock: {
        const auto& f = as<FilterBlockNode>(*n);
        visit(f.body);
        visit_filter(f.filter.get());
        return;
      }
      case NodeKind::Identifier: {
        const std::string& name = as<NameNode>(*n).name;
        if (!declared_.count(name)) {
          if (name == "kwargs") kwargs = true;
          if (name == "varargs") varargs = true;
        }
        return;
      }
      case NodeKind::Member: {
        const auto& m = as<MemberNode>(*n);
        visit(m.object.get());
        if (m.computed) visit(m.property.get());
        return;
      }
      case NodeKind::Filter: {
        const auto& f = as<FilterNode>(*n);
        visit(f.operand.get());
        visit_filter(f.filter.get());
        return;
      }
      case NodeKind::Test: visit(as<TestNode>(*n).operand.get()); return;
      case NodeKind::Select: {
        const auto& s = as<SelectNode>(*n);
        visit(s.test.get());
        visit(s.value.get());
        return;
      }
      case NodeKind::KeywordArgument: visit(as<KeywordArgumentNode>(*n).value.get()); return;
      case NodeKind::If: {
        const auto& i = as<IfNode>(*n);
        visit(i.test.get());
        visit(i.body);
        visit(i.alternate);
        return;
      }
      case NodeKind::Call: {
        const auto& c = as<CallNode>(*n);
        visit(c.callee.get());
        visit(c.args);
        return;
      }
      case NodeKind::ArrayLiteral:
      case NodeKind::TupleLiteral: visit(as<ListNode>(*n).items); return;
      case NodeKind::ObjectLiteral:
        for (const auto& [k, v] : as<ObjectNode>(*n).entries) {
          visit(k.get());
          visit(v.get());
        }
        return;
      case NodeKind::Binary: {
        const auto& b = as<BinaryNode>(*n);
        visit(b.left.get());
        visit(b.right.get());
        return;
      }
      case NodeKind::Unary: visit(as<UnaryNode>(*n).operand.get()); return;
      case NodeKind::Slice: {
        const auto& s = as<SliceNode>(*n);
        visit(s.start.get());
        visit(s.stop.get());
        visit(s.step.get());
        return;
      }
      case NodeKind::Spread:
      case NodeKind::KeywordSpread: visit(as<SpreadNode>(*n).value.get()); return;
      case NodeKind::Ternary: {
        const auto& t = as<TernaryNode>(*n);
        visit(t.condition.get());
        visit(t.if_true.get());
        visit(t.if_false.get());
        return;
      }
      default: return;
    }
  }
};

const std::string& param_name(const Node& p) {
  return p.kind == NodeKind::Identifier ? as<NameNode>(p).name : as<KeywordArgumentNode>(p).key;
}

// Python's slice rules on a sequence of `length` items (the reference's slice()).
std::vector<size_t> slice_indices(size_t length, const Value& start_v, const Value& stop_v, const Value& step_v) {
  const double n = static_cast<double>(length);
  const double step = step_v.is_undefined() ? 1 : step_v.number();
  const double direction = step > 0 ? 1 : step < 0 ? -1 : 0;
  double start, stop;
  if (direction >= 0) {
    start = start_v.is_undefined() ? 0 : start_v.number();
    start = start < 0 ? std::max(n + start, 0.0) : std::min(start, n);
    stop = stop_v.is_undefined() ? n : stop_v.number();
    stop = stop < 0 ? std::max(n + stop, 0.0) : std::min(stop, n);
  } else {
    start = start_v.is_undefined() ? n - 1 : start_v.number();
    start = start < 0 ? std::max(n + start, -1.0) : std::min(start, n - 1);
    stop = stop_v.is_undefined() ? -1 : stop_v.number();
    stop = stop < -1 ? std::max(n + stop, -1.0) : std::min(stop, n - 1);
  }
  std::vector<size_t> out;
  for (double i = start; direction * i < direction * stop; i += step) out.push_back(static_cast<size_t>(i));
  return out;
}

}  // namespace

struct CallDepthGuard {
  explicit CallDepthGuard(Interpreter& i) : interp(i) {
    if (++interp.depth_ > kMaxEvalDepth) raise("template recursion is too deep");
  }
  ~CallDepthGuard() { --interp.depth_; }
  Interpreter& interp;
};

// --- Scope -----------------------------------------------------------------------------

Value Scope::lookup(const std::string& name) const {
  for (const Scope* s = this; s; s = s->parent_.get()) {
    if (const Value* v = s->find_own(name)) return *v;
  }
  return Value();
}

const Value* Scope::find_own(const std::string& name) const {
  const auto it = vars_.find(name);
  return it == vars_.end() ? nullptr : &it->second;
}

// --- rendering -------------------------------------------------------------------------

Interpreter::Interpreter(const Source& source) : source_(source) { namespace_fn_ = namespace_function(); }

Interpreter::~Interpreter() {
  for (const Value& ns : namespaces_) ns.mutable_map().clear();
}

std::string Interpreter::render(const NodeList& program, const ScopePtr& globals) {
  std::string out;
  try {
    render_block(program, globals, out);
  } catch (const BreakSignal&) {
    throw Error("chat template: 'break' outside a loop");
  } catch (const ContinueSignal&) {
    throw Error("chat template: 'continue' outside a loop");
  }
  return out;
}

void Interpreter::render_block(const NodeList& body, const ScopePtr& scope, std::string& out) {
  for (const NodePtr& node : body) render_statement(*node, scope, out);
}

void Interpreter::render_statement(const Node& node, const ScopePtr& scope, std::string& out) {
  try {
    CallDepthGuard guard(*this);
    switch (node.kind) {
      case NodeKind::Comment: return;
      case NodeKind::Set: return exec_set(as<SetNode>(node), scope);
      case NodeKind::Macro: {
        const auto& m = as<MacroNode>(node);
        scope->set(m.name, make_macro(m));
        return;
      }
      case NodeKind::If: {
        const auto& i = as<IfNode>(node);
        return render_block(truthy(evaluate(*i.test, scope)) ? i.body : i.alternate, scope, out);
      }
      case NodeKind::For: return exec_for(as<ForNode>(node), scope, out);
      case NodeKind::Break: throw BreakSignal{};
      case NodeKind::Continue: throw ContinueSignal{};
      default: break;
    }
    Value v;
    if (node.kind == NodeKind::CallBlock) {
      v = exec_call_block(as<CallBlockNode>(node), scope);
    } else if (node.kind == NodeKind::FilterBlock) {
      const auto& f = as<FilterBlockNode>(node);
      std::string text;
      render_block(f.body, scope, text);
      v = apply_filter(Value::string(std::move(text)), *f.filter, scope);
    } else {
      v = evaluate(node, scope);
    }
    if (!v.is_undefined() && !v.is(Kind::Null)) out += to_display(v);
  } catch (const Failure& f) {
    source_.fail(node.offset, f.what());
  }
}

void Interpreter::exec_set(const SetNode& node, const ScopePtr& scope) {
  Value rhs;
  if (node.value) {
    rhs = evaluate(*node.value, scope);
  } else {
    std::string text;
    render_block(node.body, scope, text);
    rhs = Value::string(std::move(text));
  }
  const Node& target = *node.target;
  if (target.kind == NodeKind::Identifier) {
    scope->set(as<NameNode>(target).name, std::move(rhs));
  } else if (target.kind == NodeKind::TupleLiteral) {
    const NodeList& names = as<ListNode>(target).items;
    if (!rhs.is_list()) raise("Cannot unpack non-iterable type in set: {}", kind_name(rhs.kind()));
    if (rhs.items().size() != names.size()) {
      raise("Too {} items to unpack in set", names.size() > rhs.items().size() ? "few" : "many");
    }
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i]->kind != NodeKind::Identifier) raise("Cannot unpack to non-identifier in set");
      scope->set(as<NameNode>(*names[i]).name, rhs.items()[i]);
    }
  } else if (target.kind == NodeKind::Member) {
    const auto& member = as<MemberNode>(target);
    const Value object = evaluate(*member.object, scope);
    if (!object.is(Kind::Namespace)) raise("cannot assign attribute on non-namespace object");
    if (member.property->kind != NodeKind::Identifier) raise("Cannot assign to member with non-identifier property");
    object.mutable_map().set(as<NameNode>(*member.property).name, std::move(rhs));
  } else {
    raise("Invalid left-hand side of an assignment");
  }
}

void Interpreter::exec_for(const ForNode& node, const ScopePtr& scope, std::string& out) {
  const auto loop_scope = std::make_shared<Scope>(scope);
  const Node* test = nullptr;
  Value iterable;
  if (node.iterable->kind == NodeKind::Select) {
    const auto& select = as<SelectNode>(*node.iterable);
    iterable = evaluate(*select.value, loop_scope);
    test = select.test.get();
  } else {
    iterable = evaluate(*node.iterable, loop_scope);
  }
  if (iterable.is_object()) {
    ValueList keys;
    for (const auto& entry : iterable.map().entries()) keys.push_back(Value::string(entry.first));
    iterable = Value::list(std::move(keys));
  }
  if (!iterable.is_list()) raise("Expected iterable or object type in for loop: got {}", kind_name(iterable.kind()));

  // Binds the loop variable(s) to one item.
  const Node& target = *node.target;
  auto bind = [&target](const Value& item, Scope& s) {
    if (target.kind == NodeKind::Identifier) return s.set(as<NameNode>(target).name, item);
    const NodeList& names = as<ListNode>(target).items;
    for (size_t j = 0; j < names.size(); ++j) {
      if (names[j]->kind != NodeKind::Identifier) raise("Cannot unpack non-identifier type");
      s.set(as<NameNode>(*names[j]).name, item.items()[j]);
    }
  };
  ValueList items;
  for (const Value& item : iterable.items()) {
    if (target.kind == NodeKind::TupleLiteral) {
      const size_t want = as<ListNode>(target).items.size();
      if (!item.is(Kind::Array)) raise("Cannot unpack non-iterable type: {}", kind_name(item.kind()));
      if (item.items().size() != want) raise("Too {} items to unpack", want > item.items().size() ? "few" : "many");
    }
    if (test) {
      const auto test_scope = std::make_shared<Scope>(loop_scope);
      bind(item, *test_scope);
      if (!truthy(evaluate(*test, test_scope))) continue;
    }
    items.push_back(item);
  }

  bool iterated = false;
  const double n = static_cast<double>(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const double k = static_cast<double>(i);
    ObjectMap loop;
    loop.set("index", Value::integer(k + 1));
    loop.set("index0", Value::integer(k));
    loop.set("revindex", Value::integer(n - k));
    loop.set("revindex0", Value::integer(n - k - 1));
    loop.set("first", Value::boolean(i == 0));
    loop.set("last", Value::boolean(i + 1 == items.size()));
    loop.set("length", Value::integer(n));
    loop.set("previtem", i > 0 ? items[i - 1] : Value());
    loop.set("nextitem", i + 1 < items.size() ? items[i + 1] : Value());
    loop_scope->set("loop", Value::mapping(std::move(loop)));
    bind(items[i], *loop_scope);
    // The reference builds an iteration's text apart and drops it on break/continue.
    const size_t mark = out.size();
    try {
      render_block(node.body, loop_scope, out);
    } catch (const ContinueSignal&) {
      out.resize(mark);
      continue;
    } catch (const BreakSignal&) {
      out.resize(mark);
      break;
    }
    iterated = true;
  }
  if (!iterated) render_block(node.else_body, loop_scope, out);
}

Value Interpreter::make_macro(const MacroNode& node) {
  const SpecialArgumentScan special(node.params, node.body);
  const bool kwargs = special.kwargs, varargs = special.varargs;
  return Value::function([this, &node, kwargs, varargs](ValueList& args, const ScopePtr& caller) {
    const auto scope = std::make_shared<Scope>(caller);
    bind_arguments("'" + node.name + "'", node.params, kwargs, varargs, args, scope);
    std::string text;
    render_block(node.body, scope, text);
    return Value::string(std::move(text));
  });
}

void Interpreter::bind_arguments(const std::string& display_name, const NodeList& params, bool wants_kwargs,
                                 bool wants_varargs, ValueList args, const ScopePtr& scope) {
  ObjectMap keywords;
  if (!args.empty() && args.back().is(Kind::KeywordArgs)) {
    keywords = args.back().map();
    args.pop_back();
  }
  std::vector<const Node*> pending_defaults;
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string& name = param_name(*params[i]);
    Value value;
    bool given = i < args.size();
    if (given) {
      value = args[i];
    } else if (const Value* kw = keywords.find(name)) {
      value = *kw;
      keywords.erase(name);
      given = true;
    }
    if (!given && params[i]->kind == NodeKind::KeywordArgument) pending_defaults.push_back(params[i].get());
    scope->set(name, std::move(value));
  }
  if (wants_kwargs) {
    scope->set("kwargs", Value::mapping(keywords));
  } else if (!keywords.empty()) {
    raise("macro {} takes no keyword argument '{}'", display_name, keywords.entries().front().first);
  }
  if (wants_varargs) {
    const size_t skip = std::min(params.size(), args.size());
    scope->set("varargs", Value::list(ValueList(args.begin() + static_cast<std::ptrdiff_t>(skip), args.end())));
  } else if (args.size() > params.size()) {
    raise("macro {} takes not more than {} argument(s)", display_name, params.size());
  }
  for (const Node* p : pending_defaults) {
    const auto& kw = as<KeywordArgumentNode>(*p);
    scope->set(kw.key, evaluate(*kw.value, scope));
  }
}

Value Interpreter::exec_call_block(const CallBlockNode& node, const ScopePtr& scope) {
  const SpecialArgumentScan special(node.caller_params, node.body);
  const bool kwargs = special.kwargs, varargs = special.varargs;
  const Value caller = Value::function([this, &node, scope, kwargs, varargs](ValueList& args, const ScopePtr&) {
    const auto block_scope = std::make_shared<Scope>(scope);
    bind_arguments("None", node.caller_params, kwargs, varargs, args, block_scope);
    std::string text;
    render_block(node.body, block_scope, text);
    return Value::string(std::move(text));
  });
  const auto& call = as<CallNode>(*node.call);
  ValueList args;
  ObjectMap keywords;
  evaluate_arguments(call.args, scope, args, keywords);
  args.push_back(Value::mapping(std::move(keywords), Kind::KeywordArgs));
  const Value fn = evaluate(*call.callee, scope);
  const auto macro_scope = std::make_shared<Scope>(scope);
  macro_scope->set("caller", caller);
  return call_function(fn, args, macro_scope);
}

// --- expressions -------------------------------------------------------------------------

Value Interpreter::evaluate(const Node& node, const ScopePtr& scope) {
  try {
    CallDepthGuard guard(*this);
    return evaluate_node(node, scope);
  } catch (const Failure& f) {
    source_.fail(node.offset, f.what());
  }
}

Value Interpreter::evaluate_node(const Node& node, const ScopePtr& scope) {
  switch (node.kind) {
    case NodeKind::IntegerLiteral: return Value::integer(as<NumberNode>(node).value);
    case NodeKind::FloatLiteral: return Value::floating(as<NumberNode>(node).value);
    case NodeKind::StringLiteral: return Value::string(as<StringNode>(node).value);
    case NodeKind::ArrayLiteral:
    case NodeKind::TupleLiteral: {
      ValueList items;
      for (const NodePtr& item : as<ListNode>(node).items) items.push_back(evaluate(*item, scope));
      return Value::list(std::move(items), node.kind == NodeKind::TupleLiteral ? Kind::Tuple : Kind::Array);
    }
    case NodeKind::ObjectLiteral: {
      ObjectMap map;
      for (const auto& [key_node, value_node] : as<ObjectNode>(node).entries) {
        const Value key = evaluate(*key_node, scope);
        if (!key.is(Kind::String)) raise("Object keys must be strings: got {}", kind_name(key.kind()));
        map.set(key.str(), evaluate(*value_node, scope));
      }
      return Value::mapping(std::move(map));
    }
    case NodeKind::Identifier: {
      const std::string& name = as<NameNode>(node).name;
      // Every scope of the reference starts with its own `namespace`.
      if (name == "namespace") {
        const Value* own = scope->find_own(name);
        return own ? *own : namespace_fn_;
      }
      return scope->lookup(name);
    }
    case NodeKind::Call: return evaluate_call(as<CallNode>(node), scope);
    case NodeKind::Member: return evaluate_member(as<MemberNode>(node), scope);
    case NodeKind::Unary: return evaluate_unary(as<UnaryNode>(node), scope);
    case NodeKind::Binary: return evaluate_binary(as<BinaryNode>(node), scope);
    case NodeKind::Filter: {
      const auto& f = as<FilterNode>(node);
      return apply_filter(evaluate(*f.operand, scope), *f.filter, scope);
    }
    case NodeKind::Test: {
      const auto& t = as<TestNode>(node);
      const Value operand = evaluate(*t.operand, scope);
      return Value::boolean(run_test(t.test, operand, nullptr) != t.negate);
    }
    case NodeKind::Select: {
      const auto& s = as<SelectNode>(node);
      return truthy(evaluate(*s.test, scope)) ? evaluate(*s.value, scope) : Value();
    }
    case NodeKind::Ternary: {
      const auto& t = as<TernaryNode>(node);
      return evaluate(truthy(evaluate(*t.condition, scope)) ? *t.if_true : *t.if_false, scope);
    }
    default: raise("unsupported expression here");
  }
}

Value Interpreter::evaluate_unary(const UnaryNode& node, const ScopePtr& scope) {
  const Value v = evaluate(*node.operand, scope);
  if (node.op == UnaryOp::Not) return Value::boolean(!truthy(v));
  const double sign = node.op == UnaryOp::Minus ? -1 : 1;
  if (v.is_number()) return v.is(Kind::Float) ? Value::floating(sign * v.number()) : Value::integer(sign * v.number());
  if (v.is(Kind::Boolean)) return Value::integer(sign * (v.as_bool() ? 1 : 0));
  raise("Unknown operator \"{}\" for {}", node.op == UnaryOp::Minus ? "-" : "+", kind_name(v.kind()));
}

Value Interpreter::evaluate_binary(const BinaryNode& node, const ScopePtr& scope) {
  const Value left = evaluate(*node.left, scope);
  if (node.op == BinaryOp::And) return truthy(left) ? evaluate(*node.right, scope) : left;
  if (node.op == BinaryOp::Or) return truthy(left) ? left : evaluate(*node.right, scope);
  const Value right = evaluate(*node.right, scope);
  const BinaryOp op = node.op;
  if (op == BinaryOp::Equal) return Value::boolean(loose_equal(left, right));
  if (op == BinaryOp::NotEqual) return Value::boolean(!loose_equal(left, right));
  const bool membership = op == BinaryOp::In || op == BinaryOp::NotIn;

  if (left.is_undefined() || right.is_undefined()) {
    // `x in undefined` is false rather than an error.
    if (right.is_undefined() && membership) return Value::boolean(op == BinaryOp::NotIn);
    raise("Cannot perform operation {} on undefined values", binary_op_text(op));
  }
  if (left.is(Kind::Null) || right.is(Kind::Null)) raise("Cannot perform operation on null values");
  if (op == BinaryOp::Concat) return Value::string(to_raw_string(left) + to_raw_string(right));

  auto numeric = [](const Value& v) { return v.is_number() || v.is(Kind::Boolean); };
  auto number_of = [](const Value& v) { return v.is(Kind::Boolean) ? (v.as_bool() ? 1.0 : 0.0) : v.number(); };
  if (op == BinaryOp::Power && numeric(left) && numeric(right)) {
    const double a = number_of(left), b = number_of(right);
    if (a == 0 && b < 0) raise("0.0 cannot be raised to a negative power");
    const double r = (std::isnan(b) || (std::fabs(a) == 1 && std::isinf(b))) ? NAN : std::pow(a, b);
    if (!std::isfinite(r)) raise("Exponentiation result is not a finite real number");
    return left.is(Kind::Float) || right.is(Kind::Float) || b < 0 ? Value::floating(r) : Value::integer(r);
  }
  if (left.is_number() && right.is_number()) {
    const double a = left.number(), b = right.number();
    const bool is_float = left.is(Kind::Float) || right.is(Kind::Float);
    auto number = [is_float](double r) { return is_float ? Value::floating(r) : Value::integer(r); };
    switch (op) {
      case BinaryOp::Add: return number(a + b);
      case BinaryOp::Subtract: return number(a - b);
      case BinaryOp::Multiply: return number(a * b);
      case BinaryOp::Divide: return Value::floating(a / b);
      case BinaryOp::FloorDivide: return number(std::floor(a / b));
      case BinaryOp::Modulo: return number(std::fmod(a, b));
      case BinaryOp::Less: return Value::boolean(a < b);
      case BinaryOp::Greater: return Value::boolean(a > b);
      case BinaryOp::GreaterEqual: return Value::boolean(a >= b);
      case BinaryOp::LessEqual: return Value::boolean(a <= b);
      default: break;
    }
  } else if (left.is_list() && right.is_list()) {
    if (op == BinaryOp::Add) {
      ValueList items = left.items();
      items.insert(items.end(), right.items().begin(), right.items().end());
      return Value::list(std::move(items));
    }
  } else if (right.is_list() && membership) {
    bool found = false;
    for (const Value& item : right.items()) found = found || strict_equal(item, left);
    return Value::boolean(found == (op == BinaryOp::In));
  }
  if ((left.is(Kind::String) || right.is(Kind::String)) && op == BinaryOp::Add) {
    return Value::string(to_raw_string(left) + to_raw_string(right));
  }
  if (left.is(Kind::String) && right.is(Kind::String) && membership) {
    return Value::boolean((right.str().find(left.str()) != std::string::npos) == (op == BinaryOp::In));
  }
  if (left.is(Kind::String) && right.is_object() && membership) {
    return Value::boolean((right.map().find(left.str()) != nullptr) == (op == BinaryOp::In));
  }
  raise("Unknown operator \"{}\" between {} and {}", binary_op_text(op), kind_name(left.kind()), kind_name(right.kind()));
}

Value Interpreter::evaluate_member(const MemberNode& node, const ScopePtr& scope) {
  const Value object = evaluate(*node.object, scope);
  Value property;
  if (node.computed) {
    if (node.property->kind == NodeKind::Slice) return evaluate_slice(object, as<SliceNode>(*node.property), scope);
    property = evaluate(*node.property, scope);
  } else if (node.property->kind == NodeKind::IntegerLiteral) {
    property = Value::integer(as<NumberNode>(*node.property).value);
  } else {
    property = Value::string(as<NameNode>(*node.property).name);
  }

  if (object.is_mapping()) {
    if (!property.is(Kind::String)) raise("Cannot access property with non-string: got {}", kind_name(property.kind()));
    if (const Value* v = object.map().find(property.str())) return *v;
    return object.is_object() ? builtin_member(object, property.str()) : Value();
  }
  if (object.is_list() || object.is(Kind::String)) {
    if (property.is(Kind::Integer)) {
      const double index = std::isnan(property.number()) ? 0 : std::trunc(property.number());
      if (object.is(Kind::String)) {
        std::string ch;
        return js::char_at(object.str(), index, ch) ? Value::string(ch) : Value();
      }
      const double n = static_cast<double>(object.items().size());
      const double k = index >= 0 ? index : n + index;
      return k >= 0 && k < n ? object.items()[static_cast<size_t>(k)] : Value();
    }
    if (property.is(Kind::String)) return builtin_member(object, property.str());
    raise("Cannot access property with non-string/non-number: got {}", kind_name(property.kind()));
  }
  if (!property.is(Kind::String)) raise("Cannot access property with non-string: got {}", kind_name(property.kind()));
  return Value();
}

Value Interpreter::evaluate_slice(const Value& object, const SliceNode& node, const ScopePtr& scope) {
  if (!object.is_list() && !object.is(Kind::String)) raise("Slice object must be an array or string");
  const Value start = node.start ? evaluate(*node.start, scope) : Value();
  const Value stop = node.stop ? evaluate(*node.stop, scope) : Value();
  const Value step = node.step ? evaluate(*node.step, scope) : Value();
  for (const Value* part : {&start, &stop, &step}) {
    if (!part->is(Kind::Integer) && !part->is_undefined()) raise("Slice indices must be integers or undefined");
  }
  if (object.is_list()) {
    ValueList items;
    for (const size_t i : slice_indices(object.items().size(), start, stop, step)) items.push_back(object.items()[i]);
    return Value::list(std::move(items));
  }
  const std::vector<std::string> chars = js::code_points(object.str());
  std::string out;
  for (const size_t i : slice_indices(chars.size(), start, stop, step)) out += chars[i];
  return Value::string(std::move(out));
}

void Interpreter::evaluate_arguments(const NodeList& args, const ScopePtr& scope, ValueList& positional,
                                     ObjectMap& keywords) {
  // Like Python, all positional arguments are evaluated before any keyword argument.
  for (const NodePtr& arg : args) {
    if (arg->kind == NodeKind::Spread) {
      const Value v = evaluate(*as<SpreadNode>(*arg).value, scope);
      if (!v.is_list()) raise("Cannot unpack non-iterable type: {}", kind_name(v.kind()));
      positional.insert(positional.end(), v.items().begin(), v.items().end());
    } else if (arg->kind != NodeKind::KeywordArgument && arg->kind != NodeKind::KeywordSpread) {
      positional.push_back(evaluate(*arg, scope));
    }
  }
  auto add_keyword = [&keywords](const std::string& key, Value value) {
    if (keywords.find(key)) raise("Got multiple values for keyword argument '{}'", key);
    keywords.set(key, std::move(value));
  };
  for (const NodePtr& arg : args) {
    if (arg->kind == NodeKind::KeywordArgument) {
      const auto& kw = as<KeywordArgumentNode>(*arg);
      add_keyword(kw.key, evaluate(*kw.value, scope));
    } else if (arg->kind == NodeKind::KeywordSpread) {
      const Value v = evaluate(*as<SpreadNode>(*arg).value, scope);
      if (!v.is_object()) raise("Argument after ** must be a mapping, not {}", kind_name(v.kind()));
      for (const auto& [key, value] : v.map().entries()) add_keyword(key, value);
    }
  }
}

Value Interpreter::evaluate_call(const CallNode& node, const ScopePtr& scope) {
  ValueList args;
  ObjectMap keywords;
  evaluate_arguments(node.args, scope, args, keywords);
  if (!keywords.empty()) args.push_back(Value::mapping(std::move(keywords), Kind::KeywordArgs));
  const Value fn = evaluate(*node.callee, scope);
  return call_function(fn, args, scope);
}

Value Interpreter::call_function(const Value& fn, ValueList& args, const ScopePtr& caller) {
  if (!fn.is(Kind::Function)) raise("Cannot call something that is not a function: got {}", kind_name(fn.kind()));
  return fn.fn()(args, caller);
}

}  // namespace edgelm::jinja
