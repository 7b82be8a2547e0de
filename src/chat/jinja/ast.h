#pragma once
// Syntax tree of a template. One node type per construct of the language accepted by
// @huggingface/jinja; `offset` points into the original template for error messages.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace edgelm::jinja {

enum class NodeKind : uint8_t {
  // statements
  If, For, Break, Continue, Set, Macro, Comment, CallBlock, FilterBlock,
  // expressions
  Member, Call, Identifier, IntegerLiteral, FloatLiteral, StringLiteral, ArrayLiteral, TupleLiteral,
  ObjectLiteral, Binary, Filter, Select, Test, Unary, Slice, KeywordArgument, Spread, KeywordSpread, Ternary,
};

struct Node {
  Node(NodeKind k, uint32_t o) : kind(k), offset(o) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  NodeKind kind;
  uint32_t offset;
};
using NodePtr = std::unique_ptr<Node>;
using NodeList = std::vector<NodePtr>;

template <typename T>
const T& as(const Node& n) {
  return static_cast<const T&>(n);
}

// --- statements -----------------------------------------------------------------------

struct IfNode : Node {
  IfNode(uint32_t o, NodePtr t) : Node(NodeKind::If, o), test(std::move(t)) {}
  NodePtr test;
  NodeList body, alternate;  // an elif is an IfNode alone in `alternate`
};

struct ForNode : Node {
  ForNode(uint32_t o) : Node(NodeKind::For, o) {}
  NodePtr target;    // Identifier or TupleLiteral
  NodePtr iterable;  // may be a Select (`for x in xs if cond`)
  NodeList body, else_body;
};

struct SetNode : Node {
  SetNode(uint32_t o) : Node(NodeKind::Set, o) {}
  NodePtr target;
  NodePtr value;  // null for {% set x %}...{% endset %}
  NodeList body;
};

struct MacroNode : Node {
  MacroNode(uint32_t o) : Node(NodeKind::Macro, o) {}
  std::string name;
  NodeList params;  // Identifier or KeywordArgument (default value)
  NodeList body;
};

struct CallBlockNode : Node {  // {% call(params) macro(args) %}body{% endcall %}
  CallBlockNode(uint32_t o) : Node(NodeKind::CallBlock, o) {}
  NodePtr call;  // CallNode
  NodeList caller_params;
  NodeList body;
};

struct FilterBlockNode : Node {  // {% filter f %}body{% endfilter %}
  FilterBlockNode(uint32_t o) : Node(NodeKind::FilterBlock, o) {}
  NodePtr filter;  // Identifier or Call
  NodeList body;
};

// --- expressions ----------------------------------------------------------------------

struct MemberNode : Node {
  MemberNode(uint32_t o, NodePtr obj, NodePtr prop, bool c)
      : Node(NodeKind::Member, o), object(std::move(obj)), property(std::move(prop)), computed(c) {}
  NodePtr object, property;
  bool computed;  // obj[expr] rather than obj.name
};

struct CallNode : Node {
  CallNode(uint32_t o, NodePtr c) : Node(NodeKind::Call, o), callee(std::move(c)) {}
  NodePtr callee;
  NodeList args;
};

struct NameNode : Node {  // Identifier
  NameNode(uint32_t o, std::string n) : Node(NodeKind::Identifier, o), name(std::move(n)) {}
  std::string name;
};

struct NumberNode : Node {  // IntegerLiteral or FloatLiteral
  NumberNode(NodeKind k, uint32_t o, double v) : Node(k, o), value(v) {}
  double value;
};

struct StringNode : Node {  // StringLiteral; also template text and comments
  StringNode(NodeKind k, uint32_t o, std::string v) : Node(k, o), value(std::move(v)) {}
  std::string value;
};

struct ListNode : Node {  // ArrayLiteral or TupleLiteral
  ListNode(NodeKind k, uint32_t o) : Node(k, o) {}
  NodeList items;
};

struct ObjectNode : Node {
  ObjectNode(uint32_t o) : Node(NodeKind::ObjectLiteral, o) {}
  std::vector<std::pair<NodePtr, NodePtr>> entries;
};

enum class BinaryOp : uint8_t {
  Or, And, Equal, NotEqual, Less, Greater, LessEqual, GreaterEqual, In, NotIn,
  Add, Subtract, Concat, Multiply, Divide, FloorDivide, Modulo, Power,
};
const char* binary_op_text(BinaryOp op);

struct BinaryNode : Node {
  BinaryNode(uint32_t o, BinaryOp p, NodePtr l, NodePtr r)
      : Node(NodeKind::Binary, o), op(p), left(std::move(l)), right(std::move(r)) {}
  BinaryOp op;
  NodePtr left, right;
};

struct FilterNode : Node {  // operand | filter   (filter: Identifier or Call)
  FilterNode(uint32_t o, NodePtr x, NodePtr f) : Node(NodeKind::Filter, o), operand(std::move(x)), filter(std::move(f)) {}
  NodePtr operand, filter;
};

struct SelectNode : Node {  // value if test   (no else)
  SelectNode(uint32_t o, NodePtr v, NodePtr t) : Node(NodeKind::Select, o), value(std::move(v)), test(std::move(t)) {}
  NodePtr value, test;
};

struct TestNode : Node {  // operand is [not] name
  TestNode(uint32_t o, NodePtr x, bool n, std::string t)
      : Node(NodeKind::Test, o), operand(std::move(x)), negate(n), test(std::move(t)) {}
  NodePtr operand;
  bool negate;
  std::string test;
};

enum class UnaryOp : uint8_t { Not, Minus, Plus };

struct UnaryNode : Node {
  UnaryNode(uint32_t o, UnaryOp p, NodePtr a) : Node(NodeKind::Unary, o), op(p), operand(std::move(a)) {}
  UnaryOp op;
  NodePtr operand;
};

struct SliceNode : Node {  // [start:stop:step], each part optional
  SliceNode(uint32_t o) : Node(NodeKind::Slice, o) {}
  NodePtr start, stop, step;
};

struct KeywordArgumentNode : Node {  // name=value (call argument or parameter default)
  KeywordArgumentNode(uint32_t o, std::string k, NodePtr v)
      : Node(NodeKind::KeywordArgument, o), key(std::move(k)), value(std::move(v)) {}
  std::string key;
  NodePtr value;
};

struct SpreadNode : Node {  // *value or **value
  SpreadNode(NodeKind k, uint32_t o, NodePtr v) : Node(k, o), value(std::move(v)) {}
  NodePtr value;
};

struct TernaryNode : Node {
  TernaryNode(uint32_t o, NodePtr c, NodePtr t, NodePtr f)
      : Node(NodeKind::Ternary, o), condition(std::move(c)), if_true(std::move(t)), if_false(std::move(f)) {}
  NodePtr condition, if_true, if_false;
};

}  // namespace edgelm::jinja
