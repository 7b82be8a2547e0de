#pragma once
// Tokens -> syntax tree, accepting the same language as @huggingface/jinja's parser
// (including its leniencies, such as commas being optional between list items), so a
// template that the reference accepts parses here and one it rejects fails here.
#include <vector>

#include "chat/jinja/ast.h"
#include "chat/jinja/lexer.h"
#include "chat/jinja/source.h"

namespace edgelm::jinja {

// Throws edgelm::Error naming line and column of the offending token.
NodeList parse(const Source& source, const std::vector<Token>& tokens);

}  // namespace edgelm::jinja
