// The edgelm binary's contract: --help everywhere, exit 0 on success and 1 on bad
// input with a single "error: ..." line on stderr, results on stdout.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "test_support.h"

namespace edgelm {
namespace {

struct Result {
  int status;
  std::string out;
  std::string err;
};

// Runs the edgelm binary with `args` (shell-quoted by the caller).
Result run(const std::string& args) {
  test::TempDir dir;
  const std::string err_file = dir.file("stderr");
  const std::string cmd = std::string(EDGELM_BINARY) + " " + args + " 2>" + err_file;
  FILE* p = popen(cmd.c_str(), "r");
  Result r{};
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int raw = pclose(p);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  const auto err = test::read_bytes(err_file);
  r.err.assign(err.begin(), err.end());
  return r;
}

std::string vocab(const char* name) { return (test::shared_testdata() / "vocab" / name).string(); }

TEST(Cli, EverySubcommandHasHelp) {
  for (const char* sub : {"", "info", "synth", "template"}) {
    const Result r = run(std::string(sub) + " --help");
    EXPECT_EQ(r.status, 0) << sub;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub << ": " << r.out;
  }
}

TEST(Cli, UnknownSubcommandOrOptionIsAUserError) {
  for (const char* args : {"frobnicate", "info --bogus x.gguf", "synth", ""}) {
    const Result r = run(args);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << args << ": " << r.err;
  }
}

TEST(Cli, InfoOnAMissingFileNamesIt) {
  const Result r = run("info /nonexistent/model.gguf");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "error: /nonexistent/model.gguf: cannot open: No such file or directory\n");
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, InfoDescribesAVocabOnlyFile) {
  const Result r = run("info " + vocab("ggml-vocab-llama-bpe.gguf"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("architecture:  llama"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tokenizer:     gpt2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tensors:       0"), std::string::npos) << r.out;
}

TEST(Cli, SynthThenInfo) {
  test::TempDir dir;
  const std::string out = dir.file("m.gguf");
  const Result s = run("synth --preset tiny --quant q8_0 --vocab " + vocab("ggml-vocab-llama-spm.gguf") + " -o " + out);
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_NE(s.err.find("wrote " + out), std::string::npos) << s.err;
  const Result r = run("info " + out);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("model:         8 layers (5 sliding, 3 full), d_model 256, vocab 32000"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("blk.7.ffn_down.weight"), std::string::npos);
  EXPECT_NE(r.out.find("q8_0"), std::string::npos);
}

TEST(Cli, SynthRejectsBadArguments) {
  test::TempDir dir;
  const Result q = run("synth --quant q9_z -o " + dir.file("x.gguf"));
  EXPECT_EQ(q.status, 1);
  EXPECT_NE(q.err.find("unknown --quant 'q9_z'"), std::string::npos) << q.err;
  const Result k = run("synth --quant q3_k -o " + dir.file("x.gguf"));
  EXPECT_EQ(k.status, 1);
  EXPECT_NE(k.err.find("cannot write tensors of type 'q3_k'"), std::string::npos) << k.err;
  const Result p = run("synth --preset huge -o " + dir.file("x.gguf") + " --vocab " + vocab("ggml-vocab-llama-spm.gguf"));
  EXPECT_EQ(p.status, 1);
  EXPECT_NE(p.err.find("unknown preset 'huge'"), std::string::npos) << p.err;
  const Result v = run("synth --vocab /nonexistent.gguf -o " + dir.file("x.gguf"));
  EXPECT_EQ(v.status, 1);
  EXPECT_NE(v.err.find("/nonexistent.gguf: cannot open"), std::string::npos) << v.err;
}

}  // namespace
}  // namespace edgelm
