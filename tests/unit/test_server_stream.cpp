// How a reply travels: the channel between the scheduler and an HTTP thread (text
// coalesces, one outcome, cancel), and the formatter that turns it into the response
// body — SSE framing and OpenAI's chunk objects when streaming, one object when not.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "server/reply_formatter.h"
#include "server/result_channel.h"

namespace edgelm::server {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// Splits an SSE body into its events' data, checking the framing: every event is
// "data: " + one line + a blank line, and nothing else is there.
std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t end = body.find("\n\n", pos);
    EXPECT_NE(end, std::string::npos) << "unterminated event at " << pos;
    if (end == std::string::npos) break;
    const std::string event = body.substr(pos, end - pos);
    EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
    EXPECT_EQ(event.find('\n'), std::string::npos) << "one line per event: " << event;
    out.push_back(event.substr(6));
    pos = end + 2;
  }
  return out;
}

ReplyIdentity who() { return {"chatcmpl-test1", 1700000000, "tiny"}; }

ResultChannel::Update text(std::string thought, std::string answer) {
  ResultChannel::Update u;
  u.thought = std::move(thought);
  u.answer = std::move(answer);
  return u;
}

ResultChannel::Update ended(Finish finish, std::string error = "") {
  ResultChannel::Update u;
  u.outcome = Outcome{finish, Usage{11, 4, 3}, std::move(error)};
  return u;
}

TEST(ServerStream, ChatStreamOpensWithTheRoleAndEndsWithDone) {
  ReplyFormatter f(Endpoint::chat, /*stream=*/true, /*include_usage=*/false, who());
  std::string body = f.format({});  // nothing generated yet: the stream opens anyway
  ASSERT_FALSE(body.empty());
  body += f.format(text("hmm", "Hel"));
  body += f.format(text("", "lo \"world\"\n"));
  EXPECT_FALSE(f.done());
  body += f.format(ended(Finish::length));
  EXPECT_TRUE(f.done());
  EXPECT_EQ(f.format(text("", "late")), "");
  const std::vector<std::string> events = sse_data(body);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string content, reasoning;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    const json chunk = json::parse(events[i]);
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_EQ(chunk["id"], "chatcmpl-test1");
    EXPECT_EQ(chunk["model"], "tiny");
    EXPECT_EQ(chunk["created"], 1700000000);
    EXPECT_FALSE(chunk.contains("usage"));
    ASSERT_EQ(chunk["choices"].size(), 1u);
    const json& delta = chunk["choices"][0]["delta"];
    if (i == 0) {
      EXPECT_EQ(delta["role"], "assistant");
    }
    content += delta.value("content", "");
    reasoning += delta.value("reasoning_content", "");
    const json& finish = chunk["choices"][0]["finish_reason"];
    if (i + 2 == events.size()) {
      EXPECT_EQ(finish, "length");
      EXPECT_TRUE(delta.empty());
    } else {
      EXPECT_TRUE(finish.is_null());
    }
  }
  EXPECT_EQ(content, "Hello \"world\"\n");
  EXPECT_EQ(reasoning, "hmm");
}

TEST(ServerStream, IncludeUsageAddsAUsageChunkAndNullUsageElsewhere) {
  ReplyFormatter f(Endpoint::chat, true, /*include_usage=*/true, who());
  std::string body = f.format(text("", "Hi"));
  body += f.format(ended(Finish::stop));
  const std::vector<std::string> events = sse_data(body);
  ASSERT_EQ(events.size(), 5u);  // role, "Hi", finish, usage, [DONE]
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(json::parse(events[i])["usage"].is_null()) << events[i];
  const json usage_chunk = json::parse(events[3]);
  EXPECT_TRUE(usage_chunk["choices"].empty());
  EXPECT_EQ(usage_chunk["usage"]["prompt_tokens"], 11);
  EXPECT_EQ(usage_chunk["usage"]["completion_tokens"], 4);
  EXPECT_EQ(usage_chunk["usage"]["total_tokens"], 15);
  EXPECT_EQ(usage_chunk["usage"]["prompt_tokens_details"]["cached_tokens"], 3);
  EXPECT_EQ(json::parse(events[2])["choices"][0]["finish_reason"], "stop");
}

TEST(ServerStream, CompletionStreamIsTextChunks) {
  ReplyFormatter f(Endpoint::completion, true, false, who());
  EXPECT_EQ(f.format({}), "");  // no role chunk for completions
  std::string body = f.format(text("", "Once upon"));
  body += f.format(ended(Finish::stop));
  const std::vector<std::string> events = sse_data(body);
  ASSERT_EQ(events.size(), 3u);
  const json first = json::parse(events[0]);
  EXPECT_EQ(first["object"], "text_completion");
  EXPECT_EQ(first["choices"][0]["text"], "Once upon");
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(json::parse(events[1])["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(events[2], "[DONE]");
}

TEST(ServerStream, NonStreamingRepliesComeWholeAtTheEnd) {
  ReplyFormatter f(Endpoint::chat, false, /*include_usage=*/true, who());
  EXPECT_EQ(f.content_type(), std::string("application/json"));
  EXPECT_EQ(f.format(text("th", "An")), "");
  EXPECT_EQ(f.format(text("ought", "swer")), "");
  const json body = json::parse(f.format(ended(Finish::stop)));
  EXPECT_TRUE(f.done());
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Answer");
  EXPECT_EQ(body["choices"][0]["message"]["reasoning_content"], "thought");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(body["usage"]["total_tokens"], 15);

  ReplyFormatter c(Endpoint::completion, false, false, who());
  c.format(text("", "abc"));
  const json completion = json::parse(c.format(ended(Finish::length)));
  EXPECT_EQ(completion["object"], "text_completion");
  EXPECT_EQ(completion["choices"][0]["text"], "abc");
  EXPECT_EQ(completion["choices"][0]["finish_reason"], "length");
  EXPECT_FALSE(ReplyFormatter(Endpoint::chat, false, false, who()).format(text("", "")).size());
}

TEST(ServerStream, ErrorsAndCancellation) {
  ReplyFormatter streaming(Endpoint::chat, true, false, who());
  streaming.format(text("", "partial"));
  const std::vector<std::string> events = sse_data(streaming.format(ended(Finish::error, "boom")));
  ASSERT_EQ(events.size(), 2u);
  const json error = json::parse(events[0]);
  EXPECT_EQ(error["error"]["type"], "server_error");
  EXPECT_NE(error["error"]["message"].get<std::string>().find("boom"), std::string::npos);
  EXPECT_EQ(events[1], "[DONE]");

  ReplyFormatter whole(Endpoint::completion, false, false, who());
  EXPECT_EQ(json::parse(whole.format(ended(Finish::error, "boom")))["error"]["type"], "server_error");

  ReplyFormatter gone(Endpoint::chat, true, false, who());
  gone.format(text("", "x"));
  EXPECT_EQ(gone.format(ended(Finish::cancelled)), "");  // nobody to tell
  EXPECT_TRUE(gone.done());
}

TEST(ServerStream, IllFormedUtf8NeverBreaksTheJson) {
  ReplyFormatter f(Endpoint::chat, false, false, who());
  f.format(text("", std::string("ok \xff\xfe end")));
  const json body = json::parse(f.format(ended(Finish::stop)));
  EXPECT_EQ(body["choices"][0]["message"]["content"], "ok \xEF\xBF\xBD\xEF\xBF\xBD end");
}

TEST(ServerChannel, TextCoalescesAndTheOutcomeComesOnce) {
  ResultChannel channel;
  channel.publish("a", "");
  channel.publish("b", "x");
  channel.publish("", "y");
  channel.publish("", "");
  ResultChannel::Update u = channel.take(0ms);
  EXPECT_EQ(u.thought, "ab");
  EXPECT_EQ(u.answer, "xy");
  EXPECT_FALSE(u.outcome);
  EXPECT_EQ(channel.take(0ms).answer, "");
  channel.publish("", "z");
  channel.finish(Outcome{Finish::stop, Usage{1, 2, 0}, ""});
  channel.finish(Outcome{Finish::error, {}, "second"});  // ignored: the first outcome stands
  u = channel.take(0ms);
  EXPECT_EQ(u.answer, "z");
  ASSERT_TRUE(u.outcome);
  EXPECT_EQ(u.outcome->finish, Finish::stop);
  EXPECT_EQ(u.outcome->usage.completion_tokens, 2u);
  EXPECT_FALSE(channel.take(0ms).outcome);
}

TEST(ServerChannel, TakeWaitsForTheOtherThread) {
  ResultChannel channel;
  EXPECT_TRUE(channel.take(20ms).answer.empty());  // times out empty
  std::thread producer([&] {
    std::this_thread::sleep_for(10ms);
    channel.publish("", "hello");
    channel.finish(Outcome{});
  });
  std::string got;
  bool finished = false;
  for (int i = 0; i < 100 && !finished; ++i) {
    ResultChannel::Update u = channel.take(1000ms);
    got += u.answer;
    finished = u.outcome.has_value();
  }
  producer.join();
  EXPECT_EQ(got, "hello");
  EXPECT_TRUE(finished);
  EXPECT_FALSE(channel.cancelled());
  channel.cancel();
  EXPECT_TRUE(channel.cancelled());
}

}  // namespace
}  // namespace edgelm::server
