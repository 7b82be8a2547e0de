#pragma once
// A chat's history and how it becomes a prompt: the messages in the OpenAI shape,
// rendered with the model's chat template (or a user's override) for every turn. The
// rendered prompt of turn N is a prefix of turn N+1's for the templates we run, which
// is what lets the generator reuse its KV cache from one turn to the next.
#include <nlohmann/json.hpp>

#include <string>

#include "chat/chat_template.h"

namespace edgelm {

class Conversation {
 public:
  Conversation(std::string template_source, ChatRenderOptions options);

  void set_system(std::string text);  // empty: no system message
  void add_user(std::string text);
  void add_assistant(std::string text);
  // Takes back the last message (a question that could not be answered).
  void drop_last_message();
  // Forgets every turn (the system message stays).
  void reset();
  // Drops the oldest user turn and the replies after it; false when nothing is left
  // to drop (used when the history outgrows the context).
  bool drop_oldest_turn();

  size_t n_messages() const { return messages_.size(); }
  const nlohmann::ordered_json& messages() const { return messages_; }
  // The prompt for the model's next reply.
  std::string render_for_reply() const;

 private:
  nlohmann::ordered_json all_messages() const;

  std::string template_;
  ChatRenderOptions options_;
  std::string system_;
  nlohmann::ordered_json messages_ = nlohmann::ordered_json::array();
};

}  // namespace edgelm
