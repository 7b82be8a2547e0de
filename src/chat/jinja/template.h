#pragma once
// A compiled chat template: Jinja as @huggingface/jinja (the renderer Hugging Face
// uses in JavaScript, and this project's reference) understands it, rendered
// byte-identically. Trim_blocks and lstrip_blocks are on, as for every HF chat
// template. Errors (syntax, runtime, raise_exception) throw edgelm::Error naming the
// line and column in the template; unsupported constructs say "unsupported".
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "chat/jinja/ast.h"
#include "chat/jinja/source.h"

namespace edgelm::jinja {

class Template {
 public:
  explicit Template(std::string_view source);
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  // Renders with `variables` (a JSON object) as the template's global names, converted
  // the way JSON.parse would hand them to the reference.
  std::string render(const nlohmann::ordered_json& variables) const;

 private:
  std::unique_ptr<Source> source_;
  NodeList program_;
};

}  // namespace edgelm::jinja
