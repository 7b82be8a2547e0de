#include "chat/jinja/template.h"

#include "chat/jinja/interpreter.h"
#include "chat/jinja/js_text.h"
#include "chat/jinja/lexer.h"
#include "chat/jinja/parser.h"
#include "util/error.h"

namespace edgelm::jinja {

Template::Template(std::string_view source) : source_(std::make_unique<Source>(js::sanitize_utf8(source))) {
  program_ = parse(*source_, tokenize(*source_));
}

Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

std::string Template::render(const nlohmann::ordered_json& variables) const {
  if (!variables.is_object()) throw Error("chat template: the variables must be a JSON object");
  Interpreter interpreter(*source_);
  const ScopePtr globals = interpreter.make_globals();
  for (const auto& [name, value] : variables.items()) {
    // The reference refuses to redefine its own globals.
    if (name == "namespace" || globals->find_own(name)) {
      throw Error(fmt::format("chat template: variable '{}' is already defined by the template engine", printable(name)));
    }
    try {
      globals->set(name, from_json(value));
    } catch (const Failure& f) {
      throw Error(fmt::format("chat template: variable '{}': {}", printable(name), f.what()));
    }
  }
  return interpreter.render(program_, globals);
}

}  // namespace edgelm::jinja
