// Chat prompts: render_chat's variables, the GGUF's template and special tokens, the
// OpenAI-input normalization and the `edgelm template` command. Expected prompts come
// from spec/gemma4.md section 8 (its worked example) and from reading the templates.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "chat/chat_messages.h"
#include "chat/chat_template.h"
#include "gguf/gguf_reader.h"
#include "test_support.h"
#include "util/error.h"

namespace edgelm {
namespace {

using json = nlohmann::ordered_json;

std::string vocab(const char* name) { return (test::shared_testdata() / "vocab" / name).string(); }
std::string template_path(const char* name) { return (test::shared_testdata() / "templates" / name).string(); }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The conversation of spec/gemma4.md section 8 and the prompt the spec gives for it.
const json kSpecMessages = json::parse(R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"},
  {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "What is 2+2?"}])");
const std::string kSpecPrompt =
    "<bos><|turn>system\nBe brief.<turn|>\n<|turn>user\nHi there<turn|>\n<|turn>model\nHello!<turn|>\n"
    "<|turn>user\nWhat is 2+2?<turn|>\n<|turn>model\n";

TEST(ChatTemplate, GemmaE2BRendersTheSpecExample) {
  ChatRenderOptions options;
  options.bos_token = "<bos>";
  options.eos_token = "<eos>";
  const std::string source = read_text(template_path("google-gemma-4-E2B-it.jinja"));
  EXPECT_EQ(render_chat(source, kSpecMessages, nullptr, options), kSpecPrompt);
  // Without the generation prompt the final "<|turn>model\n" is not opened.
  options.add_generation_prompt = false;
  EXPECT_EQ(render_chat(source, kSpecMessages, nullptr, options),
            kSpecPrompt.substr(0, kSpecPrompt.size() - std::string("<|turn>model\n").size()));
  // Thinking puts <|think|> at the top of the system turn.
  options.add_generation_prompt = true;
  options.enable_thinking = true;
  EXPECT_EQ(render_chat(source, kSpecMessages, nullptr, options).rfind("<bos><|turn>system\n<|think|>\nBe brief.", 0), 0u);
}

TEST(ChatTemplate, VariablesAreThoseLlamaCppPasses) {
  ChatRenderOptions options;
  options.bos_token = "B";
  options.eos_token = "E";
  const json messages = json::array({{{"role", "user"}, {"content", "x"}}});
  json vars = chat_template_variables(messages, nullptr, options);
  EXPECT_EQ(vars.dump(), R"({"messages":[{"role":"user","content":"x"}],"bos_token":"B","eos_token":"E",)"
                         R"("enable_thinking":false,"add_generation_prompt":true})");
  // No tools key for an empty list; no add_generation_prompt when it is off.
  options.add_generation_prompt = false;
  vars = chat_template_variables(messages, json::array(), options);
  EXPECT_FALSE(vars.contains("tools"));
  EXPECT_FALSE(vars.contains("add_generation_prompt"));
  vars = chat_template_variables(messages, json::array({{{"type", "function"}}}), options);
  EXPECT_EQ(vars["tools"].size(), 1u);
  EXPECT_THROW(chat_template_variables(messages, json::object(), options), Error);
}

TEST(ChatTemplate, TemplateAndSpecialTokensFromGguf) {
  const GgufFile gemma = GgufFile::open(vocab("ggml-vocab-gemma-4.gguf"));
  const std::string source = chat_template_from_gguf(gemma);
  EXPECT_NE(source.find("<|turn>"), std::string::npos);
  const SpecialTokenText gemma_tokens = special_token_text(gemma);
  EXPECT_EQ(gemma_tokens.bos, "<bos>");
  EXPECT_EQ(gemma_tokens.eos, "<eos>");

  const GgufFile llama = GgufFile::open(vocab("ggml-vocab-llama-bpe.gguf"));
  const SpecialTokenText llama_tokens = special_token_text(llama);
  EXPECT_EQ(llama_tokens.bos, "<|begin_of_text|>");
  EXPECT_EQ(llama_tokens.eos, "<|end_of_text|>");
  try {
    chat_template_from_gguf(llama);
    ADD_FAILURE() << "the Llama vocab has no chat template";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ggml-vocab-llama-bpe.gguf: no chat template (tokenizer.chat_template)"),
              std::string::npos)
        << e.what();
  }
}

TEST(ChatMessages, StringArgumentsAreParsedAndToolCallsGetContent) {
  const json in = json::parse(R"([{"role": "assistant", "tool_calls": [
      {"type": "function", "function": {"name": "f", "arguments": "{\"b\": 1, \"a\": [true]}"}},
      {"type": "function", "function": {"name": "g", "arguments": {"k": "v"}}}]},
    {"role": "tool", "content": "r"}])");
  const json out = normalize_messages(in);
  EXPECT_EQ(out[0]["content"], "");
  EXPECT_EQ(out[0]["tool_calls"][0]["function"]["arguments"].dump(), R"({"b":1,"a":[true]})");
  EXPECT_EQ(out[0]["tool_calls"][1]["function"]["arguments"].dump(), R"({"k":"v"})");
  EXPECT_EQ(out[1], in[1]);
}

TEST(ChatMessages, BadInputIsNamed) {
  auto message_of = [](const char* text) -> std::string {
    try {
      normalize_messages(json::parse(text));
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_EQ(message_of(R"({"role": "user"})"), "chat: messages must be an array");
  EXPECT_EQ(message_of(R"([{"role": "user"}, 5])"), "chat: message 1 is not an object");
  EXPECT_EQ(message_of(R"([{"content": "x"}])"), "chat: message 0 has no string 'role'");
  EXPECT_NE(message_of(R"([{"role": "assistant", "tool_calls": [{"function": {"arguments": "{oops"}}]}])")
                .find("chat: message 0, tool call 0: arguments are not valid JSON"),
            std::string::npos);
}

// --- the command ------------------------------------------------------------------------

struct Result {
  int status;
  std::string out, err;
};

Result run_edgelm(const std::string& args) {
  test::TempDir dir;
  const std::string err_file = dir.file("stderr");
  FILE* p = popen((std::string(EDGELM_BINARY) + " " + args + " 2>" + err_file).c_str(), "r");
  Result r{};
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int raw = pclose(p);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.err = read_text(err_file);
  return r;
}

TEST(TemplateCommand, PrintsThePromptExactly) {
  test::TempDir dir;
  const std::string convo = dir.file("convo.json");
  std::ofstream(convo) << json{{"messages", kSpecMessages}}.dump();
  const std::string base = "template -m " + vocab("ggml-vocab-gemma-4.gguf") + " --template " +
                           template_path("google-gemma-4-E2B-it.jinja") + " --messages " + convo;
  Result r = run_edgelm(base);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, kSpecPrompt);  // no newline added
  r = run_edgelm(base + " --no-generation-prompt --think");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("<bos><|turn>system\n<|think|>\n", 0), 0u) << r.out;
  ASSERT_GE(r.out.size(), 8u);
  EXPECT_EQ(r.out.substr(r.out.size() - 8), "<turn|>\n") << r.out;  // the user turn closes; no model turn
}

TEST(TemplateCommand, UsesTheModelsOwnTemplateAndReportsErrors) {
  test::TempDir dir;
  const std::string convo = dir.file("convo.json");
  std::ofstream(convo) << R"({"messages": [{"role": "user", "content": "Hi"}]})";
  Result r = run_edgelm("template -m " + vocab("ggml-vocab-gemma-4.gguf") + " --messages " + convo);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("<bos><|turn>user\nHi<turn|>\n<|turn>model\n", 0), 0u) << r.out;

  r = run_edgelm("template -m " + vocab("ggml-vocab-llama-bpe.gguf") + " --messages " + convo);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no chat template"), std::string::npos) << r.err;

  const std::string bad = dir.file("bad.jinja");
  std::ofstream(bad) << "{% for m in messages %}\n{{ m.content | frobnicate }}{% endfor %}";
  r = run_edgelm("template -m " + vocab("ggml-vocab-gemma-4.gguf") + " --template " + bad + " --messages " + convo);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "error: chat template line 2, column 14: Unknown StringValue filter: frobnicate\n");
  EXPECT_TRUE(r.out.empty());
}

TEST(TemplateCommand, BatchPrintsOneJsonResultPerLine) {
  test::TempDir dir;
  const std::string jobs = dir.file("jobs.jsonl");
  std::ofstream(jobs) << R"({"template": "{{ bos_token }}{{ messages[0].content }}", "messages": [{"role": "user", "content": "é\n"}]})"
                      << "\n"
                      << R"({"template": "{{ raise_exception('no') }}", "messages": []})" << "\n"
                      << R"({"messages": "not a list"})" << "\n";
  const Result r = run_edgelm("template -m " + vocab("ggml-vocab-gemma-4.gguf") + " --batch " + jobs);
  EXPECT_EQ(r.status, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::vector<json> results;
  while (std::getline(lines, line)) results.push_back(json::parse(line));
  ASSERT_EQ(results.size(), 3u) << r.out;
  EXPECT_EQ(results[0], "<bos>é\n");
  EXPECT_EQ(results[1]["error"], "chat template line 1, column 4: raise_exception: no");
  EXPECT_EQ(results[2]["error"], "chat: messages must be an array");
}

}  // namespace
}  // namespace edgelm
