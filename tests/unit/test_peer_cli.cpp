// The peers through the CLI as a person uses them: synth with the default vocabularies,
// tokenize, the Llama 3.2 chat template, run and chat; OpenELM (a base model) completes
// plain text and chat says why it cannot.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "test_support.h"

namespace edgelm {
namespace {

class PeerCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    for (const char* preset : {"llama-tiny", "openelm-tiny"}) {
      const auto r = edgelm(std::string("synth --preset ") + preset + " --quant q8_0 -t 2 -o " + model(preset));
      ASSERT_EQ(r.status, 0) << r.err;
    }
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string model(const std::string& preset) { return dir_->file(preset + ".gguf"); }
  static test::CommandResult edgelm(const std::string& args, const std::string& stdin_text = "") {
    const std::string input = stdin_text.empty() ? "" : "printf '" + stdin_text + "' | ";
    return test::run_command(input + EDGELM_BINARY + " " + args);
  }
  static test::TempDir* dir_;
};
test::TempDir* PeerCli::dir_ = nullptr;

TEST_F(PeerCli, LlamaTokenizesWithTheLlama3Vocabulary) {
  const auto r = edgelm("tokenize -m " + model("llama-tiny") + " -p 'Hello world<|eot_id|>'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "128000 9906 1917 128009\n");  // BOS, "Hello", " world", <|eot_id|>
  const auto specials = edgelm("tokenize -m " + model("llama-tiny") + " --specials");
  EXPECT_NE(specials.out.find("\"eog\":true,\"id\":128009,\"text\":\"<|eot_id|>\""), std::string::npos);
}

TEST_F(PeerCli, LlamaRendersTheLlama32TemplateAndChats) {
  const std::string convo = dir_->file("c.json");
  {
    std::ofstream f(convo);
    f << R"({"messages": [{"role": "user", "content": "Hi"}]})";
  }
  const auto t = edgelm("template -m " + model("llama-tiny") + " --messages " + convo);
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_EQ(t.out.rfind("<|begin_of_text|><|start_header_id|>system<|end_header_id|>", 0), 0u) << t.out;
  const std::string tail = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                           "<|start_header_id|>assistant<|end_header_id|>\n\n";
  EXPECT_EQ(t.out.substr(t.out.size() - tail.size()), tail) << t.out;

  const auto r = edgelm("run -m " + model("llama-tiny") + " -p Hi -n 3 --temp 0 -t 2");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("generated 3 tokens"), std::string::npos) << r.err;
  const auto c = edgelm("chat -m " + model("llama-tiny") + " -n 3 --temp 0 -t 2", "Hi\\n/exit\\n");
  EXPECT_EQ(c.status, 0) << c.err;
}

TEST_F(PeerCli, OpenElmCompletesPlainTextAndCapsTheContext) {
  const auto r = edgelm("run -m " + model("openelm-tiny") + " -p 'The sea' -n 3 --temp 0 -t 2");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("no chat template (a base model): completing the prompt as plain text"), std::string::npos)
      << r.err;
  // The default context (4096) is capped at OpenELM's 2048; asking for more is an error.
  const auto big = edgelm("run -m " + model("openelm-tiny") + " -p x -n 1 --ctx 4096");
  EXPECT_EQ(big.status, 1);
  EXPECT_NE(big.err.find("--ctx 4096 is out of range (1..2048"), std::string::npos) << big.err;
  const auto chat = edgelm("chat -m " + model("openelm-tiny"), "Hi\\n");
  EXPECT_EQ(chat.status, 1);
  EXPECT_NE(chat.err.find("no chat template"), std::string::npos) << chat.err;
  const auto bench = edgelm("bench -m " + model("openelm-tiny") + " -p 8 -n 2 -r 1 -t 2 --json");
  EXPECT_EQ(bench.status, 0) << bench.err;
  EXPECT_NE(bench.out.find("\"ctx\": 2048"), std::string::npos) << bench.out;
}

}  // namespace
}  // namespace edgelm
