#include "chat/jinja/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <set>
#include <string_view>

namespace edgelm::jinja {

const char* binary_op_text(BinaryOp op) {
  static constexpr const char* names[] = {"or", "and", "==", "!=", "<", ">", "<=", ">=", "in",
                                          "not in", "+", "-", "~", "*", "/", "//", "%", "**"};
  return names[static_cast<size_t>(op)];
}

namespace {

// Deeper nesting than any real template; bounds the parser's (and the evaluator's)
// recursion so hostile input cannot overflow the stack.
constexpr int kMaxNesting = 200;

enum class ArgsMode { Call, Parameters };

class Parser {
 public:
  Parser(const Source& source, const std::vector<Token>& tokens) : source_(source), tokens_(tokens) {}

  NodeList run() {
    NodeList program;
    while (pos_ < tokens_.size()) program.push_back(parse_any());
    return program;
  }

 private:
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxNesting) parser.fail_here("template nests too deeply");
    }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  [[noreturn]] void fail_at(uint32_t offset, std::string_view message) const { source_.fail(offset, message); }
  [[noreturn]] void fail_here(std::string_view message) const {
    if (pos_ < tokens_.size()) fail_at(tokens_[pos_].offset, message);
    fail_at(static_cast<uint32_t>(source_.text().size()), fmt::format("{} (template ended)", message));
  }
  [[noreturn]] void fail_unexpected(std::string_view expected) const {
    if (pos_ >= tokens_.size()) fail_here(fmt::format("expected {}", expected));
    const Token& t = tokens_[pos_];
    fail_here(fmt::format("expected {}, found {}{}", expected, token_type_name(t.type),
                          t.type == TokenType::Identifier ? " '" + t.value + "'" : ""));
  }

  const Token& current() const {
    if (pos_ >= tokens_.size()) fail_here("unexpected end of template");
    return tokens_[pos_];
  }
  uint32_t offset() const { return pos_ < tokens_.size() ? tokens_[pos_].offset : static_cast<uint32_t>(source_.text().size()); }

  bool is(TokenType type, size_t ahead = 0) const {
    return pos_ + ahead < tokens_.size() && tokens_[pos_ + ahead].type == type;
  }
  bool is_identifier(std::string_view name, size_t ahead = 0) const {
    return is(TokenType::Identifier, ahead) && tokens_[pos_ + ahead].value == name;
  }
  bool is_statement(std::initializer_list<std::string_view> names) const {
    if (!is(TokenType::OpenStatement) || !is(TokenType::Identifier, 1)) return false;
    return std::find(names.begin(), names.end(), tokens_[pos_ + 1].value) != names.end();
  }

  const Token& expect(TokenType type, std::string_view what) {
    if (!is(type)) fail_unexpected(what);
    return tokens_[pos_++];
  }
  void expect_identifier(std::string_view name) {
    if (!is_identifier(name)) fail_unexpected(fmt::format("'{}'", name));
    ++pos_;
  }
  void expect_end_tag(std::string_view name) {
    expect(TokenType::OpenStatement, fmt::format("'{{% {} %}}'", name));
    expect_identifier(name);
    expect(TokenType::CloseStatement, "'%}'");
  }

  // Parses statements until one of `names` opens the next tag.
  void parse_body_until(NodeList& body, std::initializer_list<std::string_view> names) {
    while (!is_statement(names)) body.push_back(parse_any());
  }

  NodePtr parse_any() {
    DepthGuard guard(*this);
    const Token& t = current();
    switch (t.type) {
      case TokenType::Comment:
        ++pos_;
        return std::make_unique<StringNode>(NodeKind::Comment, t.offset, t.value);
      case TokenType::Text:
        ++pos_;
        return std::make_unique<StringNode>(NodeKind::StringLiteral, t.offset, t.value);
      case TokenType::OpenStatement:
        return parse_statement();
      case TokenType::OpenExpression: {
        ++pos_;
        NodePtr e = parse_expression();
        expect(TokenType::CloseExpression, "'}}'");
        return e;
      }
      default:
        fail_here(fmt::format("unexpected {}", token_type_name(t.type)));
    }
  }

  NodePtr parse_statement() {
    const uint32_t start = current().offset;
    ++pos_;  // {%
    if (!is(TokenType::Identifier)) fail_unexpected("a statement name");
    const std::string name = tokens_[pos_++].value;
    if (name == "set") return parse_set(start);
    if (name == "if") {
      NodePtr n = parse_if(start);
      expect_end_tag("endif");
      return n;
    }
    if (name == "for") {
      NodePtr n = parse_for(start);
      expect_end_tag("endfor");
      return n;
    }
    if (name == "macro") {
      NodePtr n = parse_macro(start);
      expect_end_tag("endmacro");
      return n;
    }
    if (name == "break" || name == "continue") {
      expect(TokenType::CloseStatement, "'%}'");
      return std::make_unique<Node>(name == "break" ? NodeKind::Break : NodeKind::Continue, start);
    }
    if (name == "call") return parse_call_block(start);
    if (name == "filter") return parse_filter_block(start);
    static const std::set<std::string> closing = {"elif", "else", "endif", "endfor", "endmacro", "endset", "endcall", "endfilter"};
    if (closing.count(name)) fail_at(tokens_[pos_ - 1].offset, fmt::format("unexpected '{}' (no open block it belongs to)", name));
    fail_at(tokens_[pos_ - 1].offset, fmt::format("unsupported statement '{}'", name));
  }

  NodePtr parse_set(uint32_t start) {
    auto n = std::make_unique<SetNode>(start);
    n->target = parse_expression_sequence(false);
    if (is(TokenType::Equals)) {
      ++pos_;
      n->value = parse_expression_sequence(false);
    } else {
      expect(TokenType::CloseStatement, "'=' or '%}'");
      parse_body_until(n->body, {"endset"});
      ++pos_;  // {%
      expect_identifier("endset");
    }
    expect(TokenType::CloseStatement, "'%}'");
    return n;
  }

  NodePtr parse_if(uint32_t start) {
    DepthGuard guard(*this);
    auto n = std::make_unique<IfNode>(start, parse_expression());
    expect(TokenType::CloseStatement, "'%}'");
    parse_body_until(n->body, {"elif", "else", "endif"});
    if (is_statement({"elif"})) {
      const uint32_t elif = current().offset;
      pos_ += 2;
      n->alternate.push_back(parse_if(elif));
    } else if (is_statement({"else"})) {
      pos_ += 2;
      expect(TokenType::CloseStatement, "'%}'");
      parse_body_until(n->alternate, {"endif"});
    }
    return n;
  }

  NodePtr parse_macro(uint32_t start) {
    auto n = std::make_unique<MacroNode>(start);
    NodePtr name = parse_primary();
    if (name->kind != NodeKind::Identifier) fail_at(name->offset, "expected a macro name");
    n->name = as<NameNode>(*name).name;
    n->params = parse_args(ArgsMode::Parameters);
    expect(TokenType::CloseStatement, "'%}'");
    parse_body_until(n->body, {"endmacro"});
    return n;
  }

  NodePtr parse_for(uint32_t start) {
    auto n = std::make_unique<ForNode>(start);
    n->target = parse_expression_sequence(true);
    if (n->target->kind != NodeKind::Identifier && n->target->kind != NodeKind::TupleLiteral) {
      fail_at(n->target->offset, "expected a loop variable name or tuple of names");
    }
    if (!is_identifier("in")) fail_unexpected("'in'");
    ++pos_;
    n->iterable = parse_expression();
    expect(TokenType::CloseStatement, "'%}'");
    parse_body_until(n->body, {"endfor", "else"});
    if (is_statement({"else"})) {
      pos_ += 2;
      expect(TokenType::CloseStatement, "'%}'");
      parse_body_until(n->else_body, {"endfor"});
    }
    return n;
  }

  NodePtr parse_call_block(uint32_t start) {
    auto n = std::make_unique<CallBlockNode>(start);
    if (is(TokenType::OpenParen)) n->caller_params = parse_args(ArgsMode::Parameters);
    NodePtr callee = parse_primary();
    if (callee->kind != NodeKind::Identifier) fail_at(callee->offset, "expected a macro name after 'call'");
    auto call = std::make_unique<CallNode>(callee->offset, std::move(callee));
    call->args = parse_args(ArgsMode::Call);
    n->call = std::move(call);
    expect(TokenType::CloseStatement, "'%}'");
    parse_body_until(n->body, {"endcall"});
    expect_end_tag("endcall");
    return n;
  }

  NodePtr parse_filter_block(uint32_t start) {
    auto n = std::make_unique<FilterBlockNode>(start);
    n->filter = parse_primary();
    if (n->filter->kind == NodeKind::Identifier && is(TokenType::OpenParen)) {
      const uint32_t at = n->filter->offset;
      n->filter = parse_call(std::move(n->filter), at);
    }
    expect(TokenType::CloseStatement, "'%}'");
    parse_body_until(n->body, {"endfilter"});
    expect_end_tag("endfilter");
    return n;
  }

  // a, b, c -> tuple; a single expression stays itself.
  NodePtr parse_expression_sequence(bool primary) {
    const uint32_t start = offset();
    NodePtr first = primary ? parse_primary() : parse_expression();
    if (!is(TokenType::Comma)) return first;
    auto tuple = std::make_unique<ListNode>(NodeKind::TupleLiteral, start);
    tuple->items.push_back(std::move(first));
    while (true) {
      ++pos_;  // ,
      tuple->items.push_back(primary ? parse_primary() : parse_expression());
      if (!is(TokenType::Comma)) break;
    }
    return tuple;
  }

  NodePtr parse_expression() { return parse_if_expression(); }

  NodePtr parse_if_expression() {
    DepthGuard guard(*this);
    NodePtr value = parse_logical_or();
    if (!is_identifier("if")) return value;
    const uint32_t at = current().offset;
    ++pos_;
    NodePtr test = parse_logical_or();
    if (is_identifier("else")) {
      ++pos_;
      NodePtr otherwise = parse_if_expression();
      return std::make_unique<TernaryNode>(at, std::move(test), std::move(value), std::move(otherwise));
    }
    return std::make_unique<SelectNode>(at, std::move(value), std::move(test));
  }

  NodePtr parse_logical_or() {
    NodePtr left = parse_logical_and();
    while (is_identifier("or")) {
      const uint32_t at = tokens_[pos_++].offset;
      left = std::make_unique<BinaryNode>(at, BinaryOp::Or, std::move(left), parse_logical_and());
    }
    return left;
  }

  NodePtr parse_logical_and() {
    NodePtr left = parse_logical_not();
    while (is_identifier("and")) {
      const uint32_t at = tokens_[pos_++].offset;
      left = std::make_unique<BinaryNode>(at, BinaryOp::And, std::move(left), parse_logical_not());
    }
    return left;
  }

  NodePtr parse_logical_not() {
    DepthGuard guard(*this);
    // As in the reference, a second `not` after the operand replaces the first.
    NodePtr result;
    while (is_identifier("not")) {
      const uint32_t at = tokens_[pos_++].offset;
      result = std::make_unique<UnaryNode>(at, UnaryOp::Not, parse_logical_not());
    }
    return result ? std::move(result) : parse_comparison();
  }

  NodePtr parse_comparison() {
    NodePtr left = parse_additive();
    while (true) {
      BinaryOp op;
      const uint32_t at = offset();
      if (is_identifier("not") && is_identifier("in", 1)) {
        op = BinaryOp::NotIn;
        pos_ += 2;
      } else if (is_identifier("in")) {
        op = BinaryOp::In;
        ++pos_;
      } else if (is(TokenType::ComparisonBinaryOperator)) {
        const std::string& v = tokens_[pos_++].value;
        op = v == "==" ? BinaryOp::Equal : v == "!=" ? BinaryOp::NotEqual : v == "<" ? BinaryOp::Less
           : v == ">" ? BinaryOp::Greater : v == "<=" ? BinaryOp::LessEqual : BinaryOp::GreaterEqual;
      } else {
        break;
      }
      left = std::make_unique<BinaryNode>(at, op, std::move(left), parse_additive());
    }
    return left;
  }

  NodePtr parse_additive() {
    NodePtr left = parse_multiplicative();
    while (is(TokenType::AdditiveBinaryOperator)) {
      const Token& t = tokens_[pos_++];
      const BinaryOp op = t.value == "+" ? BinaryOp::Add : t.value == "-" ? BinaryOp::Subtract : BinaryOp::Concat;
      left = std::make_unique<BinaryNode>(t.offset, op, std::move(left), parse_multiplicative());
    }
    return left;
  }

  NodePtr parse_multiplicative() {
    NodePtr left = parse_power();
    while (is(TokenType::MultiplicativeBinaryOperator)) {
      const Token& t = tokens_[pos_++];
      const BinaryOp op = t.value == "*" ? BinaryOp::Multiply : t.value == "/" ? BinaryOp::Divide
                        : t.value == "//" ? BinaryOp::FloorDivide : BinaryOp::Modulo;
      left = std::make_unique<BinaryNode>(t.offset, op, std::move(left), parse_power());
    }
    return left;
  }

  NodePtr parse_power() {
    NodePtr left = parse_test();  // left-associative, as in Jinja
    while (is(TokenType::ExponentiationBinaryOperator)) {
      const uint32_t at = tokens_[pos_++].offset;
      left = std::make_unique<BinaryNode>(at, BinaryOp::Power, std::move(left), parse_test());
    }
    return left;
  }

  NodePtr parse_test() {
    NodePtr operand = parse_filter();
    while (is_identifier("is")) {
      const uint32_t at = tokens_[pos_++].offset;
      const bool negate = is_identifier("not");
      if (negate) ++pos_;
      NodePtr name = parse_primary();
      if (name->kind != NodeKind::Identifier) fail_at(name->offset, "expected a test name after 'is'");
      operand = std::make_unique<TestNode>(at, std::move(operand), negate, as<NameNode>(*name).name);
    }
    return operand;
  }

  NodePtr parse_filter() {
    NodePtr operand = parse_unary_sign();
    while (is(TokenType::Pipe)) {
      const uint32_t at = tokens_[pos_++].offset;
      NodePtr filter = parse_primary();
      if (filter->kind != NodeKind::Identifier) fail_at(filter->offset, "expected a filter name after '|'");
      if (is(TokenType::OpenParen)) {
        const uint32_t name_at = filter->offset;
        filter = parse_call(std::move(filter), name_at);
      }
      operand = std::make_unique<FilterNode>(at, std::move(operand), std::move(filter));
    }
    return operand;
  }

  NodePtr parse_unary_sign() {
    DepthGuard guard(*this);
    if ((is(TokenType::UnaryOperator) || is(TokenType::AdditiveBinaryOperator)) &&
        (current().value == "-" || current().value == "+")) {
      const Token& t = tokens_[pos_++];
      return std::make_unique<UnaryNode>(t.offset, t.value == "-" ? UnaryOp::Minus : UnaryOp::Plus, parse_unary_sign());
    }
    const uint32_t start = offset();
    NodePtr member = parse_member(parse_primary());
    return is(TokenType::OpenParen) ? parse_call(std::move(member), start) : std::move(member);
  }

  // A call's offset is where its callee expression starts (`a` in `a.b(1)`).
  NodePtr parse_call(NodePtr callee, uint32_t start) {
    DepthGuard guard(*this);
    auto call = std::make_unique<CallNode>(start, std::move(callee));
    call->args = parse_args(ArgsMode::Call);
    NodePtr expr = parse_member(std::move(call));
    return is(TokenType::OpenParen) ? parse_call(std::move(expr), start) : std::move(expr);
  }

  NodeList parse_args(ArgsMode mode) {
    expect(TokenType::OpenParen, "'('");
    NodeList args = parse_argument_list(mode);
    expect(TokenType::CloseParen, "')'");
    return args;
  }

  NodeList parse_argument_list(ArgsMode mode) {
    NodeList args;
    std::set<std::string> names;
    bool saw_keyword = false, saw_spread = false;
    while (!is(TokenType::CloseParen)) {
      const uint32_t at = offset();
      const bool keyword_spread = is(TokenType::ExponentiationBinaryOperator);
      const bool spread = is(TokenType::MultiplicativeBinaryOperator) && current().value == "*";
      if (mode == ArgsMode::Parameters && (keyword_spread || spread)) {
        fail_here("argument unpacking is not allowed in parameter declarations");
      }
      if (keyword_spread) {
        ++pos_;
        args.push_back(std::make_unique<SpreadNode>(NodeKind::KeywordSpread, at, parse_expression()));
        if (is(TokenType::Comma)) ++pos_;
        if (!is(TokenType::CloseParen)) fail_unexpected("')' after the '**' argument");
        break;
      }
      NodePtr arg;
      if (spread) {
        if (saw_spread) fail_here("only one '*' argument unpacking is allowed");
        saw_spread = true;
        ++pos_;
        arg = std::make_unique<SpreadNode>(NodeKind::Spread, at, parse_expression());
      } else {
        arg = parse_expression();
        if (is(TokenType::Equals)) {
          ++pos_;
          if (arg->kind != NodeKind::Identifier) {
            fail_at(arg->offset, mode == ArgsMode::Parameters ? "expected a parameter name" : "expected a keyword argument name");
          }
          arg = std::make_unique<KeywordArgumentNode>(arg->offset, as<NameNode>(*arg).name, parse_expression());
        }
        if (mode == ArgsMode::Parameters) {
          if (arg->kind != NodeKind::Identifier && arg->kind != NodeKind::KeywordArgument) {
            fail_at(arg->offset, "expected a parameter name");
          }
          const std::string& name =
              arg->kind == NodeKind::Identifier ? as<NameNode>(*arg).name : as<KeywordArgumentNode>(*arg).key;
          if (!names.insert(name).second) fail_at(arg->offset, fmt::format("duplicate parameter '{}'", name));
        }
        if (arg->kind == NodeKind::KeywordArgument) {
          saw_keyword = true;
        } else if (saw_keyword) {
          fail_at(arg->offset, mode == ArgsMode::Call ? "positional argument after keyword arguments"
                                                      : "parameter without default after one with a default");
        } else if (saw_spread) {
          fail_at(arg->offset, "positional argument after '*' unpacking");
        }
      }
      args.push_back(std::move(arg));
      if (is(TokenType::Comma)) ++pos_;
    }
    return args;
  }

  // Inside [...]: an index, or a slice with up to three colon-separated parts.
  NodePtr parse_subscript() {
    const uint32_t at = offset();
    std::vector<NodePtr> parts;
    bool slice = false;
    while (!is(TokenType::CloseSquareBracket)) {
      if (is(TokenType::Colon)) {
        parts.push_back(nullptr);
        ++pos_;
        slice = true;
      } else {
        parts.push_back(parse_expression());
        if (is(TokenType::Colon)) {
          ++pos_;
          slice = true;
        }
      }
    }
    if (parts.empty()) fail_here("expected an index or slice inside '[]'");
    if (!slice) return std::move(parts[0]);
    if (parts.size() > 3) fail_at(at, "a slice has at most three parts");
    auto n = std::make_unique<SliceNode>(at);
    n->start = std::move(parts[0]);
    if (parts.size() > 1) n->stop = std::move(parts[1]);
    if (parts.size() > 2) n->step = std::move(parts[2]);
    return n;
  }

  NodePtr parse_member(NodePtr object) {
    while (is(TokenType::Dot) || is(TokenType::OpenSquareBracket)) {
      const Token& op = tokens_[pos_++];
      const bool computed = op.type == TokenType::OpenSquareBracket;
      NodePtr property;
      if (computed) {
        property = parse_subscript();
        expect(TokenType::CloseSquareBracket, "']'");
      } else {
        property = parse_primary();
        if (property->kind != NodeKind::Identifier && property->kind != NodeKind::IntegerLiteral) {
          fail_at(property->offset, "expected a name or integer after '.'");
        }
      }
      object = std::make_unique<MemberNode>(op.offset, std::move(object), std::move(property), computed);
    }
    return object;
  }

  NodePtr parse_primary() {
    const Token& t = current();
    ++pos_;
    switch (t.type) {
      case TokenType::NumericLiteral: {
        const bool is_float = t.value.find('.') != std::string::npos;
        return std::make_unique<NumberNode>(is_float ? NodeKind::FloatLiteral : NodeKind::IntegerLiteral, t.offset,
                                            std::strtod(t.value.c_str(), nullptr));
      }
      case TokenType::StringLiteral: {
        std::string value = t.value;  // adjacent literals concatenate
        while (is(TokenType::StringLiteral)) value += tokens_[pos_++].value;
        return std::make_unique<StringNode>(NodeKind::StringLiteral, t.offset, std::move(value));
      }
      case TokenType::Identifier:
        return std::make_unique<NameNode>(t.offset, t.value);
      case TokenType::OpenParen: {
        NodePtr e = parse_expression_sequence(false);
        expect(TokenType::CloseParen, "')'");
        return e;
      }
      case TokenType::OpenSquareBracket: {
        auto list = std::make_unique<ListNode>(NodeKind::ArrayLiteral, t.offset);
        while (!is(TokenType::CloseSquareBracket)) {
          list->items.push_back(parse_expression());
          if (is(TokenType::Comma)) ++pos_;
        }
        ++pos_;
        return list;
      }
      case TokenType::OpenCurlyBracket: {
        auto object = std::make_unique<ObjectNode>(t.offset);
        while (!is(TokenType::CloseCurlyBracket)) {
          NodePtr key = parse_expression();
          expect(TokenType::Colon, "':' between key and value");
          object->entries.emplace_back(std::move(key), parse_expression());
          if (is(TokenType::Comma)) ++pos_;
        }
        ++pos_;
        return object;
      }
      default:
        --pos_;
        fail_here(fmt::format("unexpected {}", token_type_name(t.type)));
    }
  }

  const Source& source_;
  const std::vector<Token>& tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

NodeList parse(const Source& source, const std::vector<Token>& tokens) { return Parser(source, tokens).run(); }

}  // namespace edgelm::jinja
