// The edgelm binary's contract: --help everywhere, exit 0 on success and 1 on bad
// input with a single "error: ..." line on stderr, results on stdout.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

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
  for (const char* sub : {"", "info", "synth", "run", "tokenize", "detokenize", "template", "chat", "bench"}) {
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

// `run` samples: --temp 0 is what --prompt-ids does by default (greedy), a seed
// reproduces a sampled run, another seed gives another, a printed random seed
// reproduces too, and the sampling options reject bad values.
class CliRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const Result s = run("synth --preset tiny --quant q8_0 --vocab " + vocab("ggml-vocab-llama-spm.gguf") + " -o " +
                         dir_->file("tiny.gguf"));
    ASSERT_EQ(s.status, 0) << s.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static Result run_model(const std::string& args) {
    return run("run -m " + dir_->file("tiny.gguf") + " --prompt-ids '1 500 600 700' -n 16 --ids -t 2 " + args);
  }
  static test::TempDir* dir_;
};
test::TempDir* CliRun::dir_ = nullptr;

TEST_F(CliRun, TempZeroIsTheIdsDefaultAndSeedsReproduce) {
  const Result plain = run_model("");
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_EQ(plain.err.find("seed"), std::string::npos) << plain.err;  // greedy: no seed to report
  const Result greedy = run_model("--temp 0 --seed 3");
  ASSERT_EQ(greedy.status, 0) << greedy.err;
  EXPECT_EQ(greedy.out, plain.out);

  const Result a = run_model("--temp 1 --seed 7");
  const Result b = run_model("--temp 1 --seed 7");
  const Result c = run_model("--temp 1 --seed 8");
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
  EXPECT_NE(a.out, plain.out);
  EXPECT_NE(a.err.find("; seed 7"), std::string::npos) << a.err;

  // A random seed is printed, and running with it gives the same tokens.
  const Result r = run_model("--temp 1 --seed -1");
  ASSERT_EQ(r.status, 0) << r.err;
  const size_t at = r.err.find("; seed ");
  ASSERT_NE(at, std::string::npos) << r.err;
  const std::string seed = r.err.substr(at + 7, r.err.find('\n', at) - at - 7);
  EXPECT_EQ(run_model("--temp 1 --seed " + seed).out, r.out) << seed;
}

TEST_F(CliRun, LogitBiasBansTheGreedyChoice) {
  const Result plain = run_model("");
  ASSERT_EQ(plain.status, 0) << plain.err;
  const std::string first = plain.out.substr(0, plain.out.find(' '));
  const Result banned = run_model("--logit-bias " + first + "=-inf --logit-bias 5=0.5");
  ASSERT_EQ(banned.status, 0) << banned.err;
  EXPECT_NE(banned.out.substr(0, banned.out.find(' ')), first) << banned.out;
}

TEST_F(CliRun, BadSamplingOptionsAreUserErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"--top-p 2", "error: top-p 2 is outside [0, 1]"},
      {"--top-k -3", "error: top-k -3 is negative"},
      {"--repeat-penalty 0", "error: repeat penalty 0 must be a positive number"},
      {"--seed abc", "error: --seed: 'abc' is not a seed"},
      {"--logit-bias 5", "error: --logit-bias: logit bias '5' is not ID=BIAS"},
      {"--logit-bias 99999=1", "error: logit bias for token 99999: out of range (vocabulary has 32000 tokens)"},
  };
  for (const auto& [args, message] : cases) {
    const Result r = run_model(args);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_EQ(r.err.rfind(message, 0), 0u) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
}

// Token ids, one line per input, equal to the library's (which the vector and oracle
// tests pin to llama.cpp); BOS as the file says unless --no-bos.
TEST(Cli, TokenizePrintsIdsPerInput) {
  test::TempDir dir;
  const std::string model = vocab("ggml-vocab-llama-spm.gguf");
  const Tokenizer tok = Tokenizer::from_gguf(GgufFile::open(model));
  const auto ids_line = [](const std::vector<int32_t>& ids) {
    std::string s;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) s += ' ';
      s += std::to_string(ids[i]);
    }
    s += '\n';
    return s;
  };
  Result r = run("tokenize -m " + model + " -p 'Hello world'");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, ids_line(tok.encode("Hello world", true, true)));
  r = run("tokenize -m " + model + " -p 'a</s>b' --no-bos --no-special");
  EXPECT_EQ(r.out, ids_line(tok.encode("a</s>b", false, false)));

  const std::string lines = dir.file("in.jsonl");
  {
    std::ofstream f(lines);
    f << "\"one\\ntwo\"\n\"\"\n\"</s>\"\n";
  }
  r = run("tokenize -m " + model + " --lines-json " + lines + " --no-bos");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, ids_line(tok.encode("one\ntwo", false, true)) + "\n" + ids_line(tok.encode("</s>", false, true)));

  const std::string text = dir.file("in.txt");
  {
    std::ofstream f(text);
    f << "line one\nline two\n";
  }
  r = run("tokenize -m " + model + " --file " + text);
  EXPECT_EQ(r.out, ids_line(tok.encode("line one\nline two\n", true, true)));

  r = run("detokenize -m " + model + " --ids '1 15043 3186'");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, tok.decode(std::vector<int32_t>{1, 15043, 3186}, false) + "\n");
}

TEST(Cli, TokenizeErrorsAreClear) {
  test::TempDir dir;
  const std::string model = vocab("ggml-vocab-llama-spm.gguf");
  Result r = run("tokenize -m /nonexistent.gguf -p x");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/nonexistent.gguf: cannot open"), std::string::npos) << r.err;

  {
    GgufWriter w(dir.file("no-tokenizer.gguf"));
    w.add_string("general.architecture", "gemma4");
    w.write_header();
    w.finish();
  }
  r = run("tokenize -m " + dir.file("no-tokenizer.gguf") + " -p x");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no tokenizer"), std::string::npos) << r.err;

  r = run("tokenize -m " + model);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("exactly one of"), std::string::npos) << r.err;

  const std::string lines = dir.file("bad.jsonl");
  {
    std::ofstream f(lines);
    f << "\"ok\"\n42\n";
  }
  r = run("tokenize -m " + model + " --lines-json " + lines);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(lines + ":2: expected a JSON string"), std::string::npos) << r.err;

  r = run("detokenize -m " + model + " --ids '1 99999'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("token id 99999 is out of range"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace edgelm

namespace edgelm {
namespace {

// `run -p`: text in, text out through the Gemma 4 chat template (a tiny synthetic model
// with the real Gemma 4 vocabulary and template: random weights, so the text is
// gibberish; what is checked is the plumbing and the errors).
class CliRunText : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const Result s = run("synth --preset tiny --quant q4_0 -o " + dir_->file("tiny.gguf"));
    ASSERT_EQ(s.status, 0) << s.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string model() { return dir_->file("tiny.gguf"); }
  static test::TempDir* dir_;
};
test::TempDir* CliRunText::dir_ = nullptr;

TEST_F(CliRunText, StreamsTextAndReportsSpeeds) {
  const Result r = run("run -m " + model() + " -p 'Hello there' -n 8 --temp 0 -t 2");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(r.out.empty());
  EXPECT_NE(r.err.find("prompt: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("generated 8 tokens"), std::string::npos) << r.err;
  // Greedy text is repeatable, and the chat template matters: --raw sends other tokens.
  EXPECT_EQ(run("run -m " + model() + " -p 'Hello there' -n 8 --temp 0 -t 2").out, r.out);
  const Result raw = run("run -m " + model() + " -p 'Hello there' -n 8 --temp 0 -t 2 --raw");
  ASSERT_EQ(raw.status, 0) << raw.err;
  // The templated prompt is longer than the raw one (turn markers, generation prompt).
  const auto prompt_tokens = [](const std::string& err) { return std::stoi(err.substr(err.find("prompt: ") + 8)); };
  EXPECT_GT(prompt_tokens(r.err), prompt_tokens(raw.err));
}

TEST_F(CliRunText, FriendlyErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {"run -m /nonexistent/model.gguf -p hi", "error: model file not found: /nonexistent/model.gguf"},
      {"run -m " + model() + " -p hi --prompt-ids 1", "error: give exactly one prompt"},
      {"run -m " + model() + " -p hi --raw --system x", "error: --raw sends the text as it is"},
      {"run -m " + model() + " --prompt-ids 2 --system x", "error: --system, --template, --raw, --think and --stop"},
      {"run -m " + model() + " -p 'a long prompt that does not fit' -c 8 --kv-policy none", "error: the prompt has "},
      {"run -m " + model() + " -p hi --kv-policy lru", "error: unknown KV cache policy 'lru'"},
      {"run -m " + model() + " -p hi --kv-type q4_k", "error: unknown KV cache type 'q4_k'"},
      {"run -m " + model() + " -f /nonexistent/prompt.txt", "error: /nonexistent/prompt.txt: cannot open"},
      {"chat -m /nonexistent/model.gguf", "error: model file not found"},
  };
  for (const auto& [args, message] : cases) {
    const Result r = run(args);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_EQ(r.err.rfind(message, 0), 0u) << args << ": " << r.err;
  }
}

// A chat from a pipe (no terminal): two turns, /reset, end of input ends the program.
TEST_F(CliRunText, ChatReadsTurnsFromStdin) {
  test::TempDir input_dir;
  const std::string input = input_dir.file("turns.txt");
  const std::string turns = "Hi\nAgain\n/reset\n/exit\n";
  test::write_bytes(input, std::vector<uint8_t>(turns.begin(), turns.end()));
  const Result r = run("chat -m " + model() + " -n 4 --temp 0 -t 2 --verbose < " + input);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("edgelm chat"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(conversation cleared)"), std::string::npos) << r.out;
  // Turn 2 reuses turn 1's tokens from the KV cache.
  const size_t second = r.err.find("[prompt", r.err.find("[prompt") + 1);
  ASSERT_NE(second, std::string::npos) << r.err;
  const std::string line = r.err.substr(second, r.err.find('\n', second) - second);
  const size_t plus = line.find("+ ");
  ASSERT_NE(plus, std::string::npos) << line;
  EXPECT_GT(std::stoi(line.substr(plus + 2)), 0) << line;
}

}  // namespace
}  // namespace edgelm

namespace edgelm {
namespace {


// `bench` on the tiny preset: the JSON has every field with sane values (no timing
// thresholds), skipped parts are null, the table names the tests, and impossible
// settings are one-line errors.
class CliBench : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const Result s = run("synth --preset tiny --quant q4_0 --vocab " + vocab("ggml-vocab-llama-spm.gguf") + " -o " +
                         model());
    ASSERT_EQ(s.status, 0) << s.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string model() { return dir_->file("tiny.gguf"); }
  static Result bench(const std::string& args) { return run("bench -m " + model() + " -t 2 " + args); }
  static test::TempDir* dir_;
};
test::TempDir* CliBench::dir_ = nullptr;

TEST_F(CliBench, JsonHasEveryFigure) {
  const Result r = bench("-p 8 -n 4 -r 2 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"pp_tps", "tg_tps", "ttft_ms"}) {
    const std::string k = key;
    ASSERT_TRUE(j[k].is_number()) << k << ": " << r.out;
    EXPECT_GT(j[k].get<double>(), 0.0) << k;
    EXPECT_LE(j[k + "_min"].get<double>(), j[k].get<double>()) << k;
    EXPECT_GE(j[k + "_max"].get<double>(), j[k].get<double>()) << k;
  }
  EXPECT_GT(j["peak_rss_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["threads"], 2);
  EXPECT_FALSE(j["kernels"].get<std::string>().empty());
  EXPECT_EQ(j["reps"], 2);
  EXPECT_EQ(j["n_prompt"], 8);
  EXPECT_EQ(j["n_gen"], 4);
  EXPECT_EQ(j["model"], model());
  EXPECT_EQ(j["file_bytes"].get<uint64_t>(), std::filesystem::file_size(model()));
  EXPECT_EQ(j["n_vocab"], 32000);
  EXPECT_EQ(j["pp_ms"].size(), 2u);
  EXPECT_EQ(j["tg_ms"].size(), 2u);
  EXPECT_EQ(j["tg_feed"], "greedy");
  EXPECT_GT(j["kv_cache_bytes"].get<uint64_t>(), 0u);
  const auto per_token = j["weights_bytes_per_token"].get<uint64_t>();
  EXPECT_GT(per_token, 0u);
  EXPECT_LT(per_token, j["file_bytes"].get<uint64_t>());
  EXPECT_NE(j["type_mix"].get<std::string>().find("q4_0"), std::string::npos) << j["type_mix"];
  // One progress line per repetition on stderr.
  EXPECT_NE(r.err.find("rep 1/2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rep 2/2:"), std::string::npos) << r.err;
}

TEST_F(CliBench, ZeroSkipsAPart) {
  const Result tg = bench("-p 0 -n 3 -r 1 --json --no-warmup");
  ASSERT_EQ(tg.status, 0) << tg.err;
  const auto a = nlohmann::json::parse(tg.out);
  EXPECT_TRUE(a["pp_tps"].is_null());
  EXPECT_TRUE(a["ttft_ms"].is_null());
  EXPECT_GT(a["tg_tps"].get<double>(), 0.0);
  EXPECT_EQ(a["warmup"], false);
  const Result pp = bench("-p 5 -n 0 -r 1 --json");
  ASSERT_EQ(pp.status, 0) << pp.err;
  const auto b = nlohmann::json::parse(pp.out);
  EXPECT_TRUE(b["tg_tps"].is_null());
  EXPECT_GT(b["pp_tps"].get<double>(), 0.0);
}

TEST_F(CliBench, TableNamesTheTests) {
  const Result r = bench("-p 6 -n 2 -r 1");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* text : {"pp6", "tg2", "ttft", "peak RSS", "kernels: ", "threads   2", "tiny.gguf"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << " in:\n" << r.out;
  }
}

TEST_F(CliBench, BandwidthAloneAndWithAModel) {
  const Result alone = run("bench --bandwidth --bandwidth-mib 8 -t 2 --json");
  ASSERT_EQ(alone.status, 0) << alone.err;
  const auto a = nlohmann::json::parse(alone.out);
  EXPECT_GT(a["bandwidth_bytes_per_s"].get<double>(), 0.0);
  EXPECT_EQ(a["buffer_bytes"], 8u << 20);
  EXPECT_EQ(a["threads"], 2);
  const Result with = bench("-p 0 -n 2 -r 1 --bandwidth --bandwidth-mib 8 --json");
  ASSERT_EQ(with.status, 0) << with.err;
  const auto b = nlohmann::json::parse(with.out);
  // The roofline is bandwidth / weight bytes per token; tg as a share of it.
  EXPECT_DOUBLE_EQ(b["roofline_tg_tps"].get<double>(),
                   b["bandwidth_bytes_per_s"].get<double>() / b["weights_bytes_per_token"].get<double>());
  EXPECT_DOUBLE_EQ(b["tg_roofline_pct"].get<double>(),
                   100.0 * b["tg_tps"].get<double>() / b["roofline_tg_tps"].get<double>());
}

TEST_F(CliBench, ImpossibleSettingsAreUserErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {"-p 0 -n 0", "error: nothing to measure: -p and -n are both 0"},
      {"-p 16 -n 4 -c 8", "error: --ctx 8 is too small: -p 16 needs 16 positions, -n 4 needs 5 (a one-token prompt + 4 generated)"},
      {"-r 0", "error: -r/--reps must be at least 1"},
      {"-u 0", "error: -u/--ubatch must be positive"},
      {"-c 999999999", "error: --ctx 999999999 is out of range"},
      {"-p -3", "error: "},
  };
  for (const auto& [args, message] : cases) {
    const Result r = bench(args);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_EQ(r.err.rfind(message, 0), 0u) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
  const Result missing = run("bench -m /nonexistent/model.gguf -p 4 -n 1");
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(missing.err, "error: model file not found: /nonexistent/model.gguf\n");
  const Result none = run("bench -p 4");
  EXPECT_EQ(none.status, 1);
  EXPECT_EQ(none.err.rfind("error: -m/--model is required", 0), 0u) << none.err;
}

TEST_F(CliBench, HelpExplainsEveryOption) {
  const Result r = run("bench --help");
  ASSERT_EQ(r.status, 0);
  for (const char* option : {"-m,--model", "-p,--n-prompt", "-n,--n-gen", "-r,--reps", "-t,--threads", "-c,--ctx",
                             "-u,--ubatch", "--json", "--warmup", "--no-warmup", "--bandwidth", "--bandwidth-mib"}) {
    EXPECT_NE(r.out.find(option), std::string::npos) << option << " in:\n" << r.out;
  }
  EXPECT_NE(r.out.find("greedy"), std::string::npos);
}

}  // namespace
}  // namespace edgelm
