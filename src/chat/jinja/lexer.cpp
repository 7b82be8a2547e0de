#include "chat/jinja/lexer.h"

#include <array>
#include <string_view>
#include <utility>

#include "chat/jinja/js_text.h"

namespace edgelm::jinja {

const char* token_type_name(TokenType type) {
  static constexpr std::array<const char*, 25> names = {
      "text", "number", "string", "identifier", "'='", "'('", "')'", "'{%'", "'%}'", "'{{'", "'}}'", "'['",
      "']'", "'{'", "'}'", "','", "'.'", "':'", "'|'", "additive operator", "multiplicative operator",
      "'**'", "comparison operator", "unary operator", "comment"};
  return names[static_cast<size_t>(type)];
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_hex(char c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

// JavaScript line terminators, where a multi-line regex's ^ matches.
size_t line_terminator_length(std::string_view s, size_t i) {
  if (s[i] == '\n' || s[i] == '\r') return 1;
  if (s.substr(i, 3) == "\xE2\x80\xA8" || s.substr(i, 3) == "\xE2\x80\xA9") return 3;
  return 0;
}

// Appends s[from, to) of `in` to `out`.
void copy_range(const Preprocessed& in, size_t from, size_t to, Preprocessed& out) {
  out.text.append(in.text, from, to - from);
  out.origin.insert(out.origin.end(), in.origin.begin() + static_cast<std::ptrdiff_t>(from),
                    in.origin.begin() + static_cast<std::ptrdiff_t>(to));
}

size_t space_run_end(std::string_view s, size_t i) {
  while (size_t n = js::space_length_at(s, i)) i += n;
  return i;
}

// lstrip_blocks: spaces and tabs from a line start up to "{%", "{#" (or "{-").
Preprocessed strip_block_indent(const Preprocessed& in) {
  Preprocessed out;
  const std::string_view s = in.text;
  bool line_start = true;
  size_t i = 0;
  while (i < s.size()) {
    if (line_start) {
      line_start = false;
      size_t j = i;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
      if (j + 1 < s.size() && s[j] == '{' && (s[j + 1] == '#' || s[j + 1] == '%' || s[j + 1] == '-')) i = j;
      continue;
    }
    const size_t terminator = line_terminator_length(s, i);
    const size_t n = terminator ? terminator : 1;
    copy_range(in, i, i + n, out);
    i += n;
    line_start = terminator != 0;
  }
  return out;
}

// trim_blocks: the newline right after "%}", "#}" (or "-}").
Preprocessed strip_newline_after_blocks(const Preprocessed& in) {
  Preprocessed out;
  const std::string_view s = in.text;
  size_t i = 0;
  while (i < s.size()) {
    if (i + 2 < s.size() && (s[i] == '#' || s[i] == '%' || s[i] == '-') && s[i + 1] == '}' && s[i + 2] == '\n') {
      copy_range(in, i, i + 2, out);
      i += 3;
    } else {
      copy_range(in, i, i + 1, out);
      ++i;
    }
  }
  return out;
}

// Matches {%-? (end)?generation -?%} at i; returns the end offset or 0.
size_t match_generation_tag(std::string_view s, size_t i, bool& strip_before, bool& strip_after) {
  if (s.substr(i, 2) != "{%") return 0;
  size_t k = i + 2;
  strip_before = k < s.size() && s[k] == '-';
  if (strip_before) ++k;
  k = space_run_end(s, k);
  if (s.substr(k, 3) == "end") k += 3;
  if (s.substr(k, 10) != "generation") return 0;
  k = space_run_end(s, k + 10);
  strip_after = k < s.size() && s[k] == '-';
  if (strip_after) ++k;
  if (s.substr(k, 2) != "%}") return 0;
  return k + 2;
}

// Removes the transformers-only {% generation %} / {% endgeneration %} tags; their
// whitespace control strips the surrounding white space.
Preprocessed remove_generation_tags(const Preprocessed& in) {
  Preprocessed out;
  const std::string_view s = in.text;
  size_t i = 0;
  while (i < s.size()) {
    const size_t tag = space_run_end(s, i);
    bool strip_before = false, strip_after = false;
    const size_t tag_end = tag < s.size() ? match_generation_tag(s, tag, strip_before, strip_after) : 0;
    if (tag_end == 0) {
      size_t next = tag;
      if (next < s.size()) js::next_code_point(s, next);
      copy_range(in, i, next, out);
      i = next;
      continue;
    }
    const size_t after_end = space_run_end(s, tag_end);
    if (!strip_before) copy_range(in, i, tag, out);
    if (!strip_after) copy_range(in, tag_end, after_end, out);
    i = after_end;
  }
  return out;
}

class Lexer {
 public:
  Lexer(const Source& source, Preprocessed text) : source_(source), in_(std::move(text)), s_(in_.text) {}

  std::vector<Token> run() {
    while (pos_ < s_.size()) step();
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void fail(size_t at, std::string_view message) const {
    const uint32_t offset = at < in_.origin.size() ? in_.origin[at] : static_cast<uint32_t>(source_.text().size());
    source_.fail(offset, message);
  }

  bool last_is(std::initializer_list<TokenType> types) const {
    if (tokens_.empty()) return false;
    for (const TokenType t : types) {
      if (tokens_.back().type == t) return true;
    }
    return false;
  }

  void push(TokenType type, std::string value, size_t at) {
    tokens_.push_back(Token{type, std::move(value), in_.origin[at]});
  }

  bool at(size_t i, std::string_view text) const { return s_.substr(i, text.size()) == text; }

  // Every consuming loop of the reference fails when it eats the last character.
  void advance(size_t n) {
    pos_ += n;
    if (pos_ >= s_.size()) fail(pos_, "unexpected end of template");
  }

  void skip_spaces() { pos_ = space_run_end(s_, pos_); }

  void strip_trailing_space_of_text() {
    if (!last_is({TokenType::Text})) return;
    std::string& text = tokens_.back().value;
    text.resize(js::trim(text, false, true).size());
    if (text.empty()) tokens_.pop_back();
  }

  void step() {
    if (tokens_.empty() || last_is({TokenType::CloseStatement, TokenType::CloseExpression, TokenType::Comment})) {
      const size_t start = pos_;
      while (pos_ < s_.size() && !(s_[pos_] == '{' && pos_ + 1 < s_.size() &&
                                   (s_[pos_ + 1] == '%' || s_[pos_ + 1] == '{' || s_[pos_ + 1] == '#'))) {
        ++pos_;
      }
      if (pos_ > start) {
        push(TokenType::Text, std::string(s_.substr(start, pos_ - start)), start);
        return;
      }
    }
    if (at(pos_, "{#")) return comment();
    if (at(pos_, "{%-") || at(pos_, "{{-")) {
      strip_trailing_space_of_text();
      const bool statement = s_[pos_ + 1] == '%';
      push(statement ? TokenType::OpenStatement : TokenType::OpenExpression, statement ? "{%" : "{{", pos_);
      if (!statement) curly_depth_ = 0;
      pos_ += 3;
      return;
    }
    while (size_t n = js::space_length_at(s_, pos_)) advance(n);
    if (at(pos_, "-%}") || at(pos_, "-}}")) {
      const bool statement = s_[pos_ + 1] == '%';
      push(statement ? TokenType::CloseStatement : TokenType::CloseExpression, statement ? "%}" : "}}", pos_);
      pos_ += 3;
      skip_spaces();
      return;
    }
    const char c = s_[pos_];
    if ((c == '-' || c == '+') && sign_is_unary()) return signed_number_or_unary(c);
    if (operator_token()) return;
    if (c == '\'' || c == '"') return string_literal(c);
    if (is_digit(c)) return number();
    if (is_word(c)) {
      const size_t start = pos_;
      while (is_word(s_[pos_])) advance(1);
      push(TokenType::Identifier, std::string(s_.substr(start, pos_ - start)), start);
      return;
    }
    fail(pos_, "unexpected character '" + std::string(s_.substr(pos_, 1)) + "'");
  }

  void comment() {
    const size_t start = pos_;
    pos_ += 2;
    const bool strip_before = pos_ < s_.size() && s_[pos_] == '-';
    if (strip_before) ++pos_;
    const size_t body = pos_;
    while (!(pos_ + 1 < s_.size() && s_[pos_] == '#' && s_[pos_ + 1] == '}')) {
      if (pos_ + 2 >= s_.size()) fail(start, "comment is not closed with '#}'");
      ++pos_;
    }
    std::string text(s_.substr(body, pos_ - body));
    const bool strip_after = !text.empty() && text.back() == '-';
    if (strip_after) text.pop_back();
    if (strip_before) strip_trailing_space_of_text();
    push(TokenType::Comment, std::move(text), start);
    pos_ += 2;
    if (strip_after) skip_spaces();
  }

  bool sign_is_unary() {
    if (tokens_.empty() || last_is({TokenType::Text})) fail(pos_, "unexpected sign");
    return !last_is({TokenType::Identifier, TokenType::NumericLiteral, TokenType::StringLiteral,
                     TokenType::CloseParen, TokenType::CloseSquareBracket});
  }

  // A sign where an operand is expected: folded into a following number literal.
  void signed_number_or_unary(char sign) {
    const size_t start = pos_++;
    std::string num;
    while (pos_ < s_.size() && is_digit(s_[pos_])) {
      num.push_back(s_[pos_]);
      advance(1);
    }
    if (!num.empty() && s_[pos_] == '.' && pos_ + 1 < s_.size() && is_digit(s_[pos_ + 1])) {
      ++pos_;
      num.push_back('.');
      while (is_digit(s_[pos_])) {
        num.push_back(s_[pos_]);
        advance(1);
      }
    }
    const TokenType type = num.empty() ? TokenType::UnaryOperator : TokenType::NumericLiteral;
    push(type, sign + num, start);
  }

  bool operator_token() {
    static constexpr std::pair<std::string_view, TokenType> table[] = {
        {"{%", TokenType::OpenStatement}, {"%}", TokenType::CloseStatement},
        {"{{", TokenType::OpenExpression}, {"}}", TokenType::CloseExpression},
        {"(", TokenType::OpenParen}, {")", TokenType::CloseParen},
        {"{", TokenType::OpenCurlyBracket}, {"}", TokenType::CloseCurlyBracket},
        {"[", TokenType::OpenSquareBracket}, {"]", TokenType::CloseSquareBracket},
        {",", TokenType::Comma}, {".", TokenType::Dot}, {":", TokenType::Colon}, {"|", TokenType::Pipe},
        {"<=", TokenType::ComparisonBinaryOperator}, {">=", TokenType::ComparisonBinaryOperator},
        {"==", TokenType::ComparisonBinaryOperator}, {"!=", TokenType::ComparisonBinaryOperator},
        {"<", TokenType::ComparisonBinaryOperator}, {">", TokenType::ComparisonBinaryOperator},
        {"+", TokenType::AdditiveBinaryOperator}, {"-", TokenType::AdditiveBinaryOperator},
        {"~", TokenType::AdditiveBinaryOperator}, {"**", TokenType::ExponentiationBinaryOperator},
        {"*", TokenType::MultiplicativeBinaryOperator}, {"//", TokenType::MultiplicativeBinaryOperator},
        {"/", TokenType::MultiplicativeBinaryOperator}, {"%", TokenType::MultiplicativeBinaryOperator},
        {"=", TokenType::Equals},
    };
    for (const auto& [text, type] : table) {
      if (text == "}}" && curly_depth_ > 0) continue;  // "}}" closing an object literal
      if (!at(pos_, text)) continue;
      push(type, std::string(text), pos_);
      if (type == TokenType::OpenExpression) curly_depth_ = 0;
      if (type == TokenType::OpenCurlyBracket) ++curly_depth_;
      if (type == TokenType::CloseCurlyBracket) --curly_depth_;
      pos_ += text.size();
      return true;
    }
    return false;
  }

  char32_t hex_escape(size_t digits) {
    const std::string_view hex = s_.substr(pos_, digits);
    bool ok = hex.size() == digits;
    for (const char h : hex) ok = ok && is_hex(h);
    if (!ok) fail(pos_, "invalid hexadecimal escape sequence");
    pos_ += digits;
    return static_cast<char32_t>(std::stoul(std::string(hex), nullptr, 16));
  }

  void string_literal(char quote) {
    const size_t start = pos_++;
    std::string value;
    while (true) {
      if (pos_ >= s_.size()) fail(start, "string literal is not closed");
      const char c = s_[pos_];
      if (c == quote) break;
      if (c != '\\') {
        value.push_back(c);
        if (++pos_ >= s_.size()) fail(start, "string literal is not closed");
        continue;
      }
      if (++pos_ >= s_.size()) fail(start, "string literal is not closed");
      const char e = s_[pos_++];
      if (e == 'x' || e == 'u') {
        char32_t cp = hex_escape(e == 'x' ? 2 : 4);
        // JavaScript strings are UTF-16: a \uD83D\uDE00 pair is one character; a lone
        // surrogate cannot be written as UTF-8 and comes out as U+FFFD, as Node does.
        if (cp >= 0xd800 && cp <= 0xdbff && at(pos_, "\\u")) {
          const std::string_view low = s_.substr(pos_ + 2, 4);
          bool hex = low.size() == 4;
          for (const char h : low) hex = hex && is_hex(h);
          const auto unit = hex ? std::stoul(std::string(low), nullptr, 16) : 0;
          if (unit >= 0xdc00 && unit <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + static_cast<char32_t>(unit - 0xdc00);
            pos_ += 6;
          }
        }
        js::append_utf8(value, cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);
        continue;
      }
      static constexpr std::pair<char, char> escapes[] = {{'n', '\n'}, {'t', '\t'}, {'r', '\r'}, {'b', '\b'},
                                                          {'f', '\f'}, {'v', '\v'}, {'\'', '\''}, {'"', '"'},
                                                          {'\\', '\\'}};
      bool known = false;
      for (const auto& [from, to] : escapes) {
        if (e == from) {
          value.push_back(to);
          known = true;
        }
      }
      if (!known) fail(pos_ - 2, "unknown escape sequence in string literal");
    }
    ++pos_;
    push(TokenType::StringLiteral, std::move(value), start);
  }

  void number() {
    const size_t start = pos_;
    while (is_digit(s_[pos_])) advance(1);
    if (!last_is({TokenType::Dot}) && s_[pos_] == '.' && pos_ + 1 < s_.size() && is_digit(s_[pos_ + 1])) {
      ++pos_;
      while (is_digit(s_[pos_])) advance(1);
    }
    push(TokenType::NumericLiteral, std::string(s_.substr(start, pos_ - start)), start);
  }

  const Source& source_;
  Preprocessed in_;
  std::string_view s_;
  size_t pos_ = 0;
  int curly_depth_ = 0;
  std::vector<Token> tokens_;
};

}  // namespace

Preprocessed preprocess(const std::string& source) {
  Preprocessed text;
  text.text = source;
  if (!text.text.empty() && text.text.back() == '\n') text.text.pop_back();
  text.origin.resize(text.text.size());
  for (size_t i = 0; i < text.origin.size(); ++i) text.origin[i] = static_cast<uint32_t>(i);
  return remove_generation_tags(strip_newline_after_blocks(strip_block_indent(text)));
}

std::vector<Token> tokenize(const Source& source) { return Lexer(source, preprocess(source.text())).run(); }

}  // namespace edgelm::jinja
