#include "chat/conversation.h"

namespace edgelm {

Conversation::Conversation(std::string template_source, ChatRenderOptions options)
    : template_(std::move(template_source)), options_(std::move(options)) {}

void Conversation::set_system(std::string text) { system_ = std::move(text); }

void Conversation::add_user(std::string text) {
  messages_.push_back({{"role", "user"}, {"content", std::move(text)}});
}

void Conversation::add_assistant(std::string text) {
  messages_.push_back({{"role", "assistant"}, {"content", std::move(text)}});
}

void Conversation::drop_last_message() {
  if (!messages_.empty()) messages_.erase(messages_.end() - 1);
}

void Conversation::reset() { messages_ = nlohmann::ordered_json::array(); }

bool Conversation::drop_oldest_turn() {
  // The first message and the replies up to the next user message go; the last user
  // message (the question being answered) always stays.
  size_t end = 1;
  while (end < messages_.size() && messages_[end]["role"] != "user") ++end;
  if (end >= messages_.size()) return false;
  messages_.erase(messages_.begin(), messages_.begin() + static_cast<std::ptrdiff_t>(end));
  return true;
}

nlohmann::ordered_json Conversation::all_messages() const {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  if (!system_.empty()) all.push_back({{"role", "system"}, {"content", system_}});
  for (const auto& m : messages_) all.push_back(m);
  return all;
}

std::string Conversation::render_for_reply() const {
  ChatRenderOptions o = options_;
  o.add_generation_prompt = true;
  return render_chat(template_, all_messages(), nlohmann::ordered_json(), o);
}

}  // namespace edgelm
