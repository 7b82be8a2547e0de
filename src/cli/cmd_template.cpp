// edgelm template: render a conversation with a model's chat template and print the
// prompt exactly as the model will read it (no newline added).
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>

#include "chat/chat_messages.h"
#include "chat/chat_template.h"
#include "chat/jinja/template.h"
#include "cli/commands.h"
#include "cli/text_file.h"
#include "gguf/gguf_reader.h"
#include "util/error.h"

namespace edgelm::cli {

namespace {

struct TemplateArgs {
  std::string model;
  std::string template_file;
  std::string messages_file;
  std::string batch_file;
  bool no_generation_prompt = false;
  bool think = false;
};

std::string read_text(const std::string& path) {
  std::optional<std::string> text = read_whole_file(path);
  if (!text) fail("{}: cannot open", path);
  return std::move(*text);
}

nlohmann::ordered_json parse_json(const std::string& text, const std::string& where) {
  try {
    return nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: invalid JSON: {}", where, e.what());
  }
}

// The "tools" member of a conversation: absent, null or an array.
nlohmann::ordered_json tools_of(const nlohmann::ordered_json& convo, const std::string& where) {
  if (!convo.contains("tools") || convo["tools"].is_null()) return nullptr;
  if (!convo["tools"].is_array()) fail("{}: \"tools\" must be an array", where);
  return convo["tools"];
}

nlohmann::ordered_json messages_of(const nlohmann::ordered_json& convo, const std::string& where) {
  if (!convo.is_object() || !convo.contains("messages")) fail("{}: expected an object with \"messages\"", where);
  return convo["messages"];
}

bool bool_member(const nlohmann::ordered_json& obj, const char* key, bool fallback, const std::string& where) {
  if (!obj.contains(key)) return fallback;
  if (!obj[key].is_boolean()) fail("{}: \"{}\" must be true or false", where, key);
  return obj[key].get<bool>();
}

// Hidden test mode: one JSON object per line {template?, messages, tools?,
// add_generation_prompt?, enable_thinking?, bos_token?, eos_token?, normalize?};
// prints per line the rendered prompt as a JSON string, or {"error": message}.
int run_batch(const TemplateArgs& a, const std::function<std::string()>& default_template,
              const SpecialTokenText& special) {
  std::ifstream in(a.batch_file, std::ios::binary);
  if (!in) fail("{}: cannot open", a.batch_file);
  std::map<std::string, jinja::Template> compiled;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    nlohmann::ordered_json result;
    try {
      const std::string where = fmt::format("{}:{}", a.batch_file, n);
      const nlohmann::ordered_json job = parse_json(line, where);
      const nlohmann::ordered_json messages = messages_of(job, where);
      std::string source;
      if (job.contains("template")) {
        if (!job["template"].is_string()) fail("{}: \"template\" must be a string", where);
        source = job["template"].get<std::string>();
      } else {
        source = default_template();
      }
      ChatRenderOptions options;
      options.add_generation_prompt = bool_member(job, "add_generation_prompt", true, where);
      options.enable_thinking = bool_member(job, "enable_thinking", false, where);
      options.bos_token = job.contains("bos_token") ? job["bos_token"].get<std::string>() : special.bos;
      options.eos_token = job.contains("eos_token") ? job["eos_token"].get<std::string>() : special.eos;
      const bool normalize = bool_member(job, "normalize", true, where);
      auto it = compiled.find(source);
      if (it == compiled.end()) it = compiled.emplace(source, jinja::Template(source)).first;
      const auto vars = chat_template_variables(normalize ? normalize_messages(messages) : messages,
                                                tools_of(job, where), options);
      result = it->second.render(vars);
    } catch (const Error& e) {
      result = {{"error", e.what()}};
    } catch (const nlohmann::json::exception& e) {
      result = {{"error", e.what()}};
    }
    const std::string out = result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  return 0;
}

int run_template(const TemplateArgs& a) {
  if (a.batch_file.empty() && a.messages_file.empty()) fail("--messages is required");
  const GgufFile model = GgufFile::open(a.model);
  const SpecialTokenText special = special_token_text(model);
  // Batch jobs may each bring their template; the default is needed only by those without.
  std::function<std::string()> default_template = [&a, &model] {
    return a.template_file.empty() ? chat_template_from_gguf(model) : read_text(a.template_file);
  };
  if (!a.batch_file.empty()) return run_batch(a, default_template, special);
  const std::string source = default_template();

  const nlohmann::ordered_json convo = parse_json(read_text(a.messages_file), a.messages_file);
  ChatRenderOptions options;
  options.add_generation_prompt = !a.no_generation_prompt;
  options.enable_thinking = a.think;
  options.bos_token = special.bos;
  options.eos_token = special.eos;
  const std::string prompt = render_chat(source, normalize_messages(messages_of(convo, a.messages_file)),
                                         tools_of(convo, a.messages_file), options);
  std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  return 0;
}

}  // namespace

Command add_template_command(CLI::App& app) {
  auto a = std::make_shared<TemplateArgs>();
  CLI::App* sub = app.add_subcommand(
      "template", "Render a conversation with the model's chat template and print the prompt (no newline added).");
  sub->add_option("-m,--model", a->model, "GGUF model (or vocab) file: chat template, BOS and EOS text")->required();
  sub->add_option("--template", a->template_file, "Jinja template file to use instead of the model's");
  sub->add_option("--messages", a->messages_file,
                  "Conversation JSON: {\"messages\": [...], \"tools\": [...]} in the OpenAI shape");
  sub->add_flag("--no-generation-prompt", a->no_generation_prompt, "Do not open the model's turn at the end");
  sub->add_flag("--think", a->think, "Enable thinking (enable_thinking=true)");
  sub->add_option("--batch", a->batch_file, "Render JSON lines, one result per line (for tests)")->group("");
  return {sub, [a] { return run_template(*a); }};
}

}  // namespace edgelm::cli
