// The pieces `run -p` and `chat` are made of: the reply stream (thought channel apart
// from the answer, stop strings, whole UTF-8) and the conversation (rendered with the
// real Gemma 4 E2B template; each turn's prompt extends the previous one, which is
// what makes KV-cache reuse between turns possible).
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "chat/conversation.h"
#include "chat/reply_stream.h"
#include "gguf/gguf_reader.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

namespace edgelm {
namespace {

class ChatSession : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    file_ = new GgufFile(GgufFile::open((test::shared_testdata() / "vocab" / "ggml-vocab-gemma-4.gguf").string()));
    tok_ = new Tokenizer(Tokenizer::from_gguf(*file_));
  }
  static void TearDownTestSuite() {
    delete tok_;
    delete file_;
  }
  static std::string e2b_template() {
    std::ifstream f(test::shared_testdata() / "templates" / "google-gemma-4-E2B-it.jinja");
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  struct Streamed {
    ReplyStream::Chunk all;
    std::unique_ptr<ReplyStream> stream;
  };
  // Streams the tokens of `text` one id at a time and collects what comes out.
  static Streamed stream_all(const std::string& text, std::vector<std::string> stops) {
    Streamed r{{}, std::make_unique<ReplyStream>(*tok_, std::move(stops))};
    auto add = [&r](const ReplyStream::Chunk& c) {
      r.all.thought += c.thought;
      r.all.answer += c.answer;
      r.all.stopped = r.all.stopped || c.stopped;
    };
    for (int32_t id : tok_->encode(text, false, true)) {
      add(r.stream->push(id));
      if (r.all.stopped) break;
    }
    add(r.stream->flush());
    return r;
  }
  static GgufFile* file_;
  static Tokenizer* tok_;
};
GgufFile* ChatSession::file_ = nullptr;
Tokenizer* ChatSession::tok_ = nullptr;

TEST_F(ChatSession, ThoughtChannelIsSeparatedFromTheAnswer) {
  ASSERT_TRUE(tok_->find_token("<|channel>").has_value());
  const Streamed r = stream_all("<|channel>thought\nLet me add 2 and 2.<channel|>It is 4.", {});
  EXPECT_EQ(r.all.thought, "Let me add 2 and 2.");
  EXPECT_EQ(r.all.answer, "It is 4.");
  EXPECT_EQ(r.stream->answer(), "It is 4.");
  EXPECT_EQ(r.stream->thought(), "Let me add 2 and 2.");
}

TEST_F(ChatSession, WithoutAChannelEverythingIsAnswer) {
  const ReplyStream::Chunk all = stream_all("Plain answer, ünïcödé and emoji 🙂 too.", {}).all;
  EXPECT_EQ(all.thought, "");
  EXPECT_EQ(all.answer, "Plain answer, ünïcödé and emoji 🙂 too.");
}

TEST_F(ChatSession, StopStringsCutTheAnswerButNotTheThought) {
  const ReplyStream::Chunk all =
      stream_all("<|channel>thought\nSTOP is not applied here<channel|>Keep this STOP not this", {"STOP"}).all;
  EXPECT_EQ(all.thought, "STOP is not applied here");
  EXPECT_EQ(all.answer, "Keep this ");
  EXPECT_TRUE(all.stopped);
}

TEST_F(ChatSession, ConversationPromptsExtendEachOther) {
  ChatRenderOptions o;
  o.bos_token = "<bos>";
  o.eos_token = "<eos>";
  Conversation c(e2b_template(), o);
  c.set_system("Be brief.");
  c.add_user("Hi there");
  const std::string turn1 = c.render_for_reply();
  // The spec's example (gemma4.md §8), rendered by the real template.
  EXPECT_EQ(turn1, "<bos><|turn>system\nBe brief.<turn|>\n<|turn>user\nHi there<turn|>\n<|turn>model\n");
  c.add_assistant("Hello!");
  c.add_user("What is 2+2?");
  const std::string turn2 = c.render_for_reply();
  EXPECT_EQ(turn2,
            "<bos><|turn>system\nBe brief.<turn|>\n<|turn>user\nHi there<turn|>\n<|turn>model\nHello!<turn|>\n"
            "<|turn>user\nWhat is 2+2?<turn|>\n<|turn>model\n");
  EXPECT_EQ(turn2.rfind(turn1, 0), 0u);  // turn 1's prompt is a prefix of turn 2's
}

TEST_F(ChatSession, OldestTurnsAreDroppedButNeverTheQuestion) {
  Conversation c(e2b_template(), ChatRenderOptions{});
  c.add_user("one");
  c.add_assistant("1");
  c.add_user("two");
  c.add_assistant("2");
  c.add_user("three");
  EXPECT_TRUE(c.drop_oldest_turn());
  EXPECT_EQ(c.n_messages(), 3u);
  EXPECT_EQ(c.messages()[0]["content"], "two");
  EXPECT_TRUE(c.drop_oldest_turn());
  EXPECT_EQ(c.n_messages(), 1u);
  EXPECT_FALSE(c.drop_oldest_turn());
  EXPECT_EQ(c.messages()[0]["content"], "three");
  c.reset();
  EXPECT_EQ(c.n_messages(), 0u);
}

}  // namespace
}  // namespace edgelm
