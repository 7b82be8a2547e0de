#pragma once
// Template text -> tokens, with the whitespace rules of @huggingface/jinja.
//
// Chat templates are rendered with trim_blocks and lstrip_blocks on, as Hugging Face
// does. The reference implements both (and the single trailing newline Jinja drops,
// and the transformers-only {% generation %} tag, which is removed) as a text
// rewrite before tokenizing; `preprocess` does the same rewrite and keeps, for every
// remaining byte, its offset in the original text so errors can point at it.
#include <cstdint>
#include <string>
#include <vector>

#include "chat/jinja/source.h"

namespace edgelm::jinja {

enum class TokenType : uint8_t {
  Text, NumericLiteral, StringLiteral, Identifier, Equals, OpenParen, CloseParen,
  OpenStatement, CloseStatement, OpenExpression, CloseExpression, OpenSquareBracket,
  CloseSquareBracket, OpenCurlyBracket, CloseCurlyBracket, Comma, Dot, Colon, Pipe,
  AdditiveBinaryOperator, MultiplicativeBinaryOperator, ExponentiationBinaryOperator,
  ComparisonBinaryOperator, UnaryOperator, Comment,
};
const char* token_type_name(TokenType type);

struct Token {
  TokenType type;
  std::string value;  // literal text, identifier, operator; string literals unescaped
  uint32_t offset;    // in the original template
};

// The rewritten text and, per byte, its offset in the original.
struct Preprocessed {
  std::string text;
  std::vector<uint32_t> origin;
};
Preprocessed preprocess(const std::string& source);

// Throws edgelm::Error naming line and column for malformed input.
std::vector<Token> tokenize(const Source& source);

}  // namespace edgelm::jinja
