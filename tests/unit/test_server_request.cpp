// Request parsing for the server's OpenAI endpoints: what a body means (defaults,
// both spellings of fields, the shapes real clients send) and what it is refused for
// (a 400 naming the field, OpenAI-style), including bodies meant to break a parser.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "server/api_error.h"
#include "server/request.h"

namespace edgelm::server {
namespace {

RequestLimits limits() {
  RequestLimits l;
  l.n_vocab = 1000;
  return l;
}

ChatRequest chat(const std::string& body) { return parse_chat_request(body, limits()); }
CompletionRequest completion(const std::string& body) { return parse_completion_request(body, limits()); }

// The ApiError a body is refused with (fails the test when it is accepted).
ApiError chat_error(const std::string& body) {
  try {
    chat(body);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body;
  return ApiError(0, "");
}

ApiError completion_error(const std::string& body) {
  try {
    completion(body);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body;
  return ApiError(0, "");
}

const std::string kHello = R"("messages": [{"role": "user", "content": "Hello"}])";

TEST(ServerRequest, MinimalChatTakesLlamaCppSamplingDefaults) {
  const ChatRequest r = chat("{" + kHello + "}");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0]["content"], "Hello");
  EXPECT_TRUE(r.tools.is_null());
  EXPECT_FALSE(r.enable_thinking);
  const GenerationRequest& g = r.generation;
  EXPECT_FALSE(g.stream);
  EXPECT_FALSE(g.include_usage);
  EXPECT_EQ(g.max_tokens, -1);
  EXPECT_TRUE(g.stops.empty());
  const SamplingParams d;
  EXPECT_EQ(g.sampling.temperature, d.temperature);
  EXPECT_EQ(g.sampling.top_p, d.top_p);
  EXPECT_EQ(g.sampling.top_k, d.top_k);
  EXPECT_FALSE(g.sampling.seed.has_value());
}

TEST(ServerRequest, EveryOpenAiSamplingFieldIsRead) {
  const ChatRequest r = chat("{" + kHello + R"(, "stream": true, "stream_options": {"include_usage": true},
      "max_tokens": 7, "temperature": 0.25, "top_p": 0.5, "seed": 1234, "stop": ["END", "\n\n"],
      "presence_penalty": 1.5, "frequency_penalty": -0.5, "logit_bias": {"17": -100, "42": 3.5},
      "top_k": 5, "min_p": 0.1, "chat_template_kwargs": {"enable_thinking": true}})");
  const GenerationRequest& g = r.generation;
  EXPECT_TRUE(g.stream);
  EXPECT_TRUE(g.include_usage);
  EXPECT_EQ(g.max_tokens, 7);
  EXPECT_FLOAT_EQ(g.sampling.temperature, 0.25f);
  EXPECT_FLOAT_EQ(g.sampling.top_p, 0.5f);
  EXPECT_EQ(g.sampling.seed, 1234u);
  EXPECT_EQ(g.stops, (std::vector<std::string>{"END", "\n\n"}));
  EXPECT_FLOAT_EQ(g.sampling.presence_penalty, 1.5f);
  EXPECT_FLOAT_EQ(g.sampling.frequency_penalty, -0.5f);
  ASSERT_EQ(g.sampling.logit_bias.size(), 2u);
  EXPECT_FLOAT_EQ(g.sampling.logit_bias.at(17), -100.0f);
  EXPECT_FLOAT_EQ(g.sampling.logit_bias.at(42), 3.5f);
  EXPECT_EQ(g.sampling.top_k, 5);
  EXPECT_FLOAT_EQ(g.sampling.min_p, 0.1f);
  EXPECT_TRUE(r.enable_thinking);
}

TEST(ServerRequest, UnknownFieldsAndNullsAreIgnored) {
  const ChatRequest r = chat("{" + kHello + R"(, "user": "u-1", "metadata": {"a": 1}, "store": false,
      "parallel_tool_calls": true, "stop": null, "temperature": null, "tools": [], "future_field": [1, {"x": 2}]})");
  EXPECT_TRUE(r.generation.stops.empty());
  EXPECT_EQ(r.generation.sampling.temperature, SamplingParams{}.temperature);
  EXPECT_TRUE(r.tools.is_null());  // an empty tools list is no tools
}

TEST(ServerRequest, MaxCompletionTokensWinsOverMaxTokens) {
  EXPECT_EQ(chat("{" + kHello + R"(, "max_completion_tokens": 3, "max_tokens": 9})").generation.max_tokens, 3);
  EXPECT_EQ(chat("{" + kHello + R"(, "max_tokens": 9})").generation.max_tokens, 9);
  EXPECT_EQ(chat("{" + kHello + R"(, "max_tokens": 9.0})").generation.max_tokens, 9);  // integral JSON number
}

TEST(ServerRequest, StopIsAStringOrAList) {
  EXPECT_EQ(chat("{" + kHello + R"(, "stop": "x"})").generation.stops, std::vector<std::string>{"x"});
  EXPECT_EQ(chat_error("{" + kHello + R"(, "stop": ""})").param(), "stop");
  EXPECT_EQ(chat_error("{" + kHello + R"(, "stop": [1]})").param(), "stop");
  EXPECT_EQ(chat_error("{" + kHello + R"(, "stop": {"a": "b"}})").param(), "stop");
  std::string many = R"(, "stop": [)";
  for (int i = 0; i < 17; ++i) many += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  EXPECT_EQ(chat_error("{" + kHello + many + "]}").param(), "stop");
}

TEST(ServerRequest, SeedsAreAnyInteger) {
  EXPECT_EQ(chat("{" + kHello + R"(, "seed": 0})").generation.sampling.seed, 0u);
  EXPECT_EQ(chat("{" + kHello + R"(, "seed": -1})").generation.sampling.seed, UINT64_MAX);
  EXPECT_EQ(chat("{" + kHello + R"(, "seed": 18446744073709551615})").generation.sampling.seed, UINT64_MAX);
  EXPECT_EQ(chat_error("{" + kHello + R"(, "seed": 1.5})").param(), "seed");
  EXPECT_EQ(chat_error("{" + kHello + R"(, "seed": "7"})").param(), "seed");
}

TEST(ServerRequest, WrongTypesAndRangesNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("stream": "yes")", "stream"},
      {R"("stream_options": true)", "stream_options"},
      {R"("stream_options": {"include_usage": 1})", "stream_options.include_usage"},
      {R"("max_tokens": "10")", "max_tokens"},
      {R"("max_tokens": -2)", "max_tokens"},
      {R"("max_tokens": 1e12)", "max_tokens"},
      {R"("max_tokens": 2.5)", "max_tokens"},
      {R"("temperature": "hot")", "temperature"},
      {R"("temperature": 2.5)", "temperature"},
      {R"("temperature": -0.1)", "temperature"},
      {R"("top_p": 1.5)", "top_p"},
      {R"("presence_penalty": 3)", "presence_penalty"},
      {R"("frequency_penalty": [])", "frequency_penalty"},
      {R"("top_k": -1)", "top_k"},
      {R"("logit_bias": [1, 2])", "logit_bias"},
      {R"("logit_bias": {"abc": 1})", "logit_bias"},
      {R"("logit_bias": {"-1": 1})", "logit_bias"},
      {R"("logit_bias": {"1000": 1})", "logit_bias"},
      {R"("logit_bias": {"5": 101})", "logit_bias"},
      {R"("logit_bias": {"5": "1"})", "logit_bias"},
      {R"("n": 2)", "n"},
      {R"("logprobs": true)", "logprobs"},
      {R"("response_format": {"type": "json_object"})", "response_format"},
      {R"("tools": {})", "tools"},
      {R"("chat_template_kwargs": {"enable_thinking": "yes"})", "chat_template_kwargs.enable_thinking"},
  };
  for (const auto& [field, param] : cases) {
    const ApiError e = chat_error("{" + kHello + ", " + field + "}");
    EXPECT_EQ(e.status(), 400) << field;
    EXPECT_EQ(e.param(), param) << field;
    EXPECT_EQ(e.type(), "invalid_request_error") << field;
    EXPECT_NE(std::string(e.what()).find(param.substr(param.rfind('.') + 1)), std::string::npos)
        << "the message names the field: " << e.what();
  }
  // n = 1 and logprobs = false are what the API does anyway.
  EXPECT_NO_THROW(chat("{" + kHello + R"(, "n": 1, "logprobs": false, "response_format": {"type": "text"}})"));
}

TEST(ServerRequest, MessagesAreCheckedOneByOne) {
  EXPECT_EQ(chat_error("{}").param(), "messages");
  EXPECT_EQ(chat_error(R"({"messages": "hi"})").param(), "messages");
  EXPECT_EQ(chat_error(R"({"messages": []})").param(), "messages");
  EXPECT_EQ(chat_error(R"({"messages": [1]})").param(), "messages[0]");
  EXPECT_EQ(chat_error(R"({"messages": [{"content": "x"}]})").param(), "messages[0].role");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "user", "content": "a"}, {"role": "robot", "content": "x"}]})").param(),
            "messages[1].role");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "user", "content": 5}]})").param(), "messages[0].content");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]})").param(),
            "messages[0].content[0]");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "user", "content": [{"type": "text"}]}]})").param(),
            "messages[0].content[0]");
  // Text parts, developer role and tool-call arguments as a JSON string are all fine.
  const ChatRequest r = chat(R"({"messages": [{"role": "developer", "content": "Be brief."},
      {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
        "function": {"name": "f", "arguments": "{\"x\": 1}"}}]}]})");
  EXPECT_EQ(r.messages[2]["tool_calls"][0]["function"]["arguments"]["x"], 1);  // parsed for the template
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "assistant", "tool_calls": [{"function": {"name": "f",
      "arguments": "{oops"}}]}]})")
                .param(),
            "messages");
}

TEST(ServerRequest, BodiesThatAreNotJsonObjectsAreRefused) {
  for (const std::string body : {"", "{", "not json", "[1, 2]", "\"text\"", "42", "{\"messages\": [}", "{} trailing",
                                 "{\"a\": \"\xff\xfe\"}"}) {
    const ApiError e = chat_error(body);
    EXPECT_EQ(e.status(), 400) << body;
    EXPECT_EQ(e.param(), "") << body;
  }
}

TEST(ServerRequest, DeepNestingIsRefusedBeforeItIsBuilt) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const ApiError e = chat_error("{\"x\": " + deep + "}");
  EXPECT_EQ(e.status(), 400);
  EXPECT_NE(std::string(e.what()).find("nested"), std::string::npos) << e.what();
  // Moderate nesting (in an ignored field) is fine.
  EXPECT_NO_THROW(chat("{" + kHello + ", \"x\": " + std::string(20, '[') + std::string(20, ']') + "}"));
}

TEST(ServerRequest, CompletionPromptsAreTextOrTokenIds) {
  EXPECT_EQ(std::get<std::string>(completion(R"({"prompt": "Once"})").prompt), "Once");
  EXPECT_EQ(std::get<std::string>(completion(R"({"prompt": ["Once"]})").prompt), "Once");
  EXPECT_EQ(std::get<std::vector<int32_t>>(completion(R"({"prompt": [2, 5, 999]})").prompt),
            (std::vector<int32_t>{2, 5, 999}));
  EXPECT_EQ(std::get<std::vector<int32_t>>(completion(R"({"prompt": [[2, 5]]})").prompt), (std::vector<int32_t>{2, 5}));
  EXPECT_EQ(completion_error("{}").param(), "prompt");
  EXPECT_EQ(completion_error(R"({"prompt": 5})").param(), "prompt");
  EXPECT_EQ(completion_error(R"({"prompt": []})").param(), "prompt");
  EXPECT_EQ(completion_error(R"({"prompt": ["a", "b"]})").param(), "prompt");
  EXPECT_EQ(completion_error(R"({"prompt": [1, 1000]})").param(), "prompt");
  EXPECT_EQ(completion_error(R"({"prompt": [1, -1]})").param(), "prompt");
  EXPECT_EQ(completion_error(R"({"prompt": [1, "a"]})").param(), "prompt");
  EXPECT_EQ(completion_error(R"({"prompt": "x", "echo": true})").param(), "echo");
  const CompletionRequest r = completion(R"({"prompt": "x", "max_tokens": 4, "stop": "\n", "suffix": null})");
  EXPECT_EQ(r.generation.max_tokens, 4);
  EXPECT_EQ(r.generation.stops, std::vector<std::string>{"\n"});
}

TEST(ServerRequest, ErrorBodiesHaveOpenAisShape) {
  const ApiError e = chat_error("{" + kHello + R"(, "temperature": 9})");
  const nlohmann::json body = e.body();
  ASSERT_TRUE(body.contains("error"));
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_EQ(body["error"]["param"], "temperature");
  EXPECT_TRUE(body["error"]["code"].is_null());
  EXPECT_TRUE(body["error"]["message"].is_string());
  EXPECT_EQ(ApiError(401, "no", "", "invalid_api_key").body()["error"]["code"], "invalid_api_key");
  EXPECT_EQ(ApiError(401, "no").type(), "authentication_error");
  EXPECT_EQ(ApiError(503, "busy").type(), "server_error");
  EXPECT_TRUE(ApiError(404, "x").body()["error"]["param"].is_null());
}

}  // namespace
}  // namespace edgelm::server
