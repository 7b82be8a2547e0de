// The API without HTTP, on the tiny synthetic Gemma 4: routes, the API key, error
// replies (status and OpenAI's error object), the context check, and whole replies
// read from the channel through the formatter — what the HTTP layer sends.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

#include "chat/chat_template.h"
#include "server/api.h"
#include "server/scheduler.h"
#include "server_support.h"

namespace edgelm::server {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

class ServerApi : public ::testing::Test {
 protected:
  static test::TinyGemma& tiny() { return test::TinyGemma::get(); }

  void SetUp() override {
    SchedulerOptions o;
    o.n_slots = 2;
    o.n_ctx = 128;
    o.threads = 2;
    scheduler_ = std::make_unique<Scheduler>(*tiny().model, *tiny().tokenizer, o);
    ServedModel m;
    m.id = "tiny-test";
    m.tokenizer = tiny().tokenizer.get();
    m.chat_template = chat_template_from_gguf(tiny().model->file());
    m.special = special_token_text(tiny().model->file());
    m.created = 1234;
    api_ = std::make_unique<Api>(m, *scheduler_, key_);
  }

  // The whole body of a reply, as the HTTP layer would send it.
  static std::string body(ApiReply& reply) {
    if (!reply.channel) return reply.body;
    std::string out;
    for (int i = 0; i < 600 && !reply.formatter->done(); ++i) out += reply.formatter->format(reply.channel->take(1000ms));
    EXPECT_TRUE(reply.formatter->done());
    return out;
  }

  ApiReply post(const std::string& path, const std::string& request) {
    return api_->handle("POST", path, "Bearer " + key_, request);
  }

  static json error_of(ApiReply& reply, int status) {
    EXPECT_EQ(reply.status, status);
    EXPECT_FALSE(reply.channel);
    const json b = json::parse(body(reply));
    EXPECT_TRUE(b["error"]["message"].is_string()) << b.dump();
    return b["error"];
  }

  std::string key_ = "sk-test-123";
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<Api> api_;
};

TEST_F(ServerApi, HealthAndModels) {
  ApiReply health = api_->handle("GET", "/health", "", "");  // no key needed
  EXPECT_EQ(health.status, 200);
  const json h = json::parse(body(health));
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["slots_idle"], 2);
  ApiReply models = api_->handle("GET", "/v1/models", "Bearer " + key_, "");
  EXPECT_EQ(models.status, 200);
  const json m = json::parse(body(models));
  EXPECT_EQ(m["object"], "list");
  ASSERT_EQ(m["data"].size(), 1u);
  EXPECT_EQ(m["data"][0]["id"], "tiny-test");
  EXPECT_EQ(m["data"][0]["object"], "model");
  EXPECT_EQ(m["data"][0]["created"], 1234);
}

TEST_F(ServerApi, TheApiKeyIsRequiredOnV1) {
  for (const std::string auth : {"", "Bearer wrong", "Bearer sk-test-12", "sk-test-123", "bearer sk-test-123"}) {
    ApiReply r = api_->handle("GET", "/v1/models", auth, "");
    const json e = error_of(r, 401);
    EXPECT_EQ(e["code"], "invalid_api_key") << auth;
  }
  ApiReply r = api_->handle("POST", "/v1/chat/completions", "", "{}");
  EXPECT_EQ(r.status, 401);  // the key is checked before the body
}

TEST_F(ServerApi, UnknownRoutesAndMethods) {
  ApiReply missing = api_->handle("GET", "/v1/nothing", "", "");
  EXPECT_EQ(error_of(missing, 404)["type"], "not_found_error");
  ApiReply wrong = post("/v1/models", "");
  EXPECT_EQ(error_of(wrong, 405)["code"], "method_not_allowed");
  ApiReply get_chat = api_->handle("GET", "/v1/chat/completions", "Bearer " + key_, "");
  EXPECT_EQ(get_chat.status, 405);
}

TEST_F(ServerApi, BadRequestsAre400sNamingTheField) {
  ApiReply not_json = post("/v1/chat/completions", "{oops");
  EXPECT_EQ(error_of(not_json, 400)["type"], "invalid_request_error");
  ApiReply wrong_type = post("/v1/chat/completions", R"({"messages": [{"role": "user", "content": "x"}], "max_tokens": "5"})");
  EXPECT_EQ(error_of(wrong_type, 400)["param"], "max_tokens");
  ApiReply no_prompt = post("/v1/completions", R"({"max_tokens": 5})");
  EXPECT_EQ(error_of(no_prompt, 400)["param"], "prompt");
  ApiReply tool_first = post("/v1/chat/completions", R"({"messages": [{"role": "tool", "content": "x"}], "max_tokens": 3})");
  EXPECT_TRUE(tool_first.status == 200 || tool_first.status == 400);  // whatever the template makes of it: no crash
  if (tool_first.channel) body(tool_first);
}

TEST_F(ServerApi, PromptsThatDoNotFitTheContextAreRefused) {
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "word ";
  ApiReply chat = post("/v1/chat/completions", R"({"messages": [{"role": "user", "content": ")" + long_text + R"("}]})");
  const json e = error_of(chat, 400);
  EXPECT_EQ(e["code"], "context_length_exceeded");
  EXPECT_EQ(e["param"], "messages");
  ApiReply completion = post("/v1/completions", R"({"prompt": ")" + long_text + R"("})");
  EXPECT_EQ(error_of(completion, 400)["param"], "prompt");
}

TEST_F(ServerApi, AChatReplyWithUsage) {
  ApiReply r = post("/v1/chat/completions", R"({"messages": [{"role": "system", "content": "Be brief."},
      {"role": "user", "content": "Hi"}], "max_tokens": 5, "temperature": 0, "user": "someone"})");
  EXPECT_EQ(r.status, 200);
  ASSERT_TRUE(r.channel);
  EXPECT_EQ(r.content_type, "application/json");
  const json b = json::parse(body(r));
  EXPECT_EQ(b["object"], "chat.completion");
  EXPECT_EQ(b["model"], "tiny-test");
  EXPECT_EQ(b["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_TRUE(b["choices"][0]["message"]["content"].is_string());
  const json& usage = b["usage"];
  EXPECT_GT(usage["prompt_tokens"].get<int>(), 5);
  EXPECT_LE(usage["completion_tokens"].get<int>(), 5);
  EXPECT_EQ(usage["total_tokens"], usage["prompt_tokens"].get<int>() + usage["completion_tokens"].get<int>());
  const std::string finish = b["choices"][0]["finish_reason"];
  EXPECT_TRUE(finish == "length" || finish == "stop") << finish;
  if (finish == "length") {
    EXPECT_EQ(usage["completion_tokens"], 5);
  }
}

TEST_F(ServerApi, AStreamedCompletionEndsWithDone) {
  ApiReply r = post("/v1/completions",
                    R"({"prompt": "Once upon a time", "max_tokens": 4, "stream": true, "stream_options": {"include_usage": true}})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/event-stream");
  const std::string sse = body(r);
  EXPECT_EQ(sse.substr(sse.size() - 14), "data: [DONE]\n\n");
  EXPECT_NE(sse.find("\"usage\":{\"prompt_tokens\""), std::string::npos) << sse;
  EXPECT_NE(sse.find("\"object\":\"text_completion\""), std::string::npos);
  // Two identical greedy requests: identical text.
  ApiReply a = post("/v1/completions", R"({"prompt": [2, 1000, 2000], "max_tokens": 6, "temperature": 0})");
  ApiReply b = post("/v1/completions", R"({"prompt": [2, 1000, 2000], "max_tokens": 6, "temperature": 0})");
  const json ja = json::parse(body(a)), jb = json::parse(body(b));
  EXPECT_EQ(ja["choices"][0]["text"], jb["choices"][0]["text"]);
  EXPECT_EQ(ja["usage"]["prompt_tokens"], 3);
}

}  // namespace
}  // namespace edgelm::server
