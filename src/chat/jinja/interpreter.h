#pragma once
// Evaluates a parsed template, with the semantics of @huggingface/jinja's runtime:
// dynamic scoping (a macro sees its caller's variables), a for loop's scope holding
// what is set inside it, an iteration left with break/continue contributing no
// output, and the reference's set of filters, tests and methods. Runtime errors name
// the line and column of the expression that failed.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "chat/jinja/ast.h"
#include "chat/jinja/source.h"
#include "chat/jinja/value.h"

namespace edgelm::jinja {

class Scope {
 public:
  explicit Scope(ScopePtr parent) : parent_(std::move(parent)) {}
  // Undefined when no enclosing scope declares `name`.
  Value lookup(const std::string& name) const;
  const Value* find_own(const std::string& name) const;
  void set(const std::string& name, Value value) { vars_[name] = std::move(value); }

 private:
  ScopePtr parent_;
  std::unordered_map<std::string, Value> vars_;
};

class Interpreter {
 public:
  explicit Interpreter(const Source& source);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // The global scope: true/false/none (and capitalised forms), range,
  // raise_exception, strftime_now. Callers add their variables to it.
  ScopePtr make_globals();
  std::string render(const NodeList& program, const ScopePtr& globals);

 private:
  friend struct CallDepthGuard;

  // statements
  void render_block(const NodeList& body, const ScopePtr& scope, std::string& out);
  void render_statement(const Node& node, const ScopePtr& scope, std::string& out);
  void exec_set(const SetNode& node, const ScopePtr& scope);
  void exec_for(const ForNode& node, const ScopePtr& scope, std::string& out);
  Value exec_call_block(const CallBlockNode& node, const ScopePtr& scope);
  Value make_macro(const MacroNode& node);
  void bind_arguments(const std::string& display_name, const NodeList& params, bool wants_kwargs, bool wants_varargs,
                      ValueList args, const ScopePtr& scope);

  // expressions
  Value evaluate(const Node& node, const ScopePtr& scope);
  Value evaluate_node(const Node& node, const ScopePtr& scope);
  Value evaluate_binary(const BinaryNode& node, const ScopePtr& scope);
  Value evaluate_unary(const UnaryNode& node, const ScopePtr& scope);
  Value evaluate_member(const MemberNode& node, const ScopePtr& scope);
  Value evaluate_slice(const Value& object, const SliceNode& node, const ScopePtr& scope);
  Value evaluate_call(const CallNode& node, const ScopePtr& scope);
  void evaluate_arguments(const NodeList& args, const ScopePtr& scope, ValueList& positional, ObjectMap& keywords);
  Value call_function(const Value& fn, ValueList& args, const ScopePtr& caller);

  // filters.cpp
  Value apply_filter(const Value& operand, const Node& filter, const ScopePtr& scope);
  Value apply_plain_filter(const Value& operand, const std::string& name);
  Value apply_call_filter(const Value& operand, const CallNode& filter, const ScopePtr& scope);
  Value filter_list(const Value& operand, const std::string& name, const CallNode& filter, const ScopePtr& scope);

  // builtins.cpp
  Value namespace_function();
  Value new_namespace(ObjectMap map);

  const Source& source_;
  Value namespace_fn_;
  // Every namespace created, cleared after rendering: a namespace that stores itself
  // (or a function holding its scope) would otherwise keep itself alive.
  std::vector<Value> namespaces_;
  int depth_ = 0;
};

// Tests (`x is name`): whether one is known, and its result; `argument` is the second
// operand some tests take (selectattr passes it), null when absent.
bool is_known_test(const std::string& name);
bool run_test(const std::string& name, const Value& operand, const Value* argument);
// Ordering by an attribute path "a.b.0" (sort and map filters).
Value attribute_path_value(const Value& item, const std::string& path);
// Members the reference provides on strings, lists and mappings (s.upper, d.items,
// l.length ...); Undefined when there is none.
Value builtin_member(const Value& receiver, const std::string& name);

}  // namespace edgelm::jinja
