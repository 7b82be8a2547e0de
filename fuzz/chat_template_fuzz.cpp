// libFuzzer target for the chat-template engine: any template text must either render
// or throw edgelm::Error (never crash, overflow the stack or throw anything else).
// Seed it with the templates in ../shared/testdata/templates.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chat/jinja/template.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nlohmann::ordered_json vars = nlohmann::ordered_json::parse(R"({
    "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": [{"type": "text", "text": "hi"}]},
                 {"role": "assistant", "content": "a", "reasoning_content": "r",
                  "tool_calls": [{"id": "1", "function": {"name": "f", "arguments": {"a": [1, 2.5, null]}}}]},
                 {"role": "tool", "tool_call_id": "1", "content": "r"}],
    "tools": [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object",
               "properties": {"a": {"type": "array", "items": {"type": "integer"}}}, "required": ["a"]}}}],
    "bos_token": "<bos>", "eos_token": "<eos>", "add_generation_prompt": true, "enable_thinking": true})");
  try {
    const edgelm::jinja::Template t(std::string_view(reinterpret_cast<const char*>(data), size));
    (void)t.render(vars);
  } catch (const edgelm::Error&) {
  }
  return 0;
}
