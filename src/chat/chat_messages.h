#pragma once
// OpenAI-style chat input made ready for a chat template, as llama.cpp prepares it
// (common/chat.cpp, the templates it detects as taking object arguments, which all of
// this project's templates do):
//   - tool_calls[].function.arguments given as a JSON string is parsed into its value
//     (the Gemma 4 templates iterate the arguments as a mapping; Llama 3.2 prints them
//     with tojson);
//   - an assistant message with tool_calls and no content gets content "".
// Everything else (string or part-list content, reasoning_content, tool messages) is
// passed through unchanged.
#include <nlohmann/json.hpp>

namespace edgelm {

// Throws edgelm::Error naming the message at fault (not an array of objects, bad role,
// arguments that are not valid JSON).
nlohmann::ordered_json normalize_messages(const nlohmann::ordered_json& messages);

}  // namespace edgelm
