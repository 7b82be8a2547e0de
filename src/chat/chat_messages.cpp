#include "chat/chat_messages.h"

#include "util/error.h"

namespace edgelm {

nlohmann::ordered_json normalize_messages(const nlohmann::ordered_json& messages) {
  if (!messages.is_array()) throw Error("chat: messages must be an array");
  nlohmann::ordered_json out = messages;
  for (size_t i = 0; i < out.size(); ++i) {
    nlohmann::ordered_json& message = out[i];
    if (!message.is_object()) fail("chat: message {} is not an object", i);
    if (!message.contains("role") || !message["role"].is_string()) fail("chat: message {} has no string 'role'", i);
    if (!message.contains("tool_calls") || message["tool_calls"].is_null()) continue;
    if (!message["tool_calls"].is_array()) fail("chat: message {}: tool_calls must be an array", i);
    // Before taking references: adding a key to an ordered_json object may move its members.
    if (!message.contains("content")) message["content"] = "";
    nlohmann::ordered_json& calls = message["tool_calls"];
    for (size_t k = 0; k < calls.size(); ++k) {
      if (!calls[k].is_object() || !calls[k].contains("function")) continue;
      nlohmann::ordered_json& function = calls[k]["function"];
      if (!function.is_object() || !function.contains("arguments") || !function["arguments"].is_string()) continue;
      const std::string& text = function["arguments"].get_ref<const std::string&>();
      try {
        function["arguments"] = nlohmann::ordered_json::parse(text);
      } catch (const nlohmann::json::exception& e) {
        fail("chat: message {}, tool call {}: arguments are not valid JSON: {}", i, k, e.what());
      }
    }
  }
  return out;
}

}  // namespace edgelm
