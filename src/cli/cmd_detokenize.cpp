// edgelm detokenize: token ids -> text with a GGUF file's tokenizer (llama_detokenize).
#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "gguf/gguf_reader.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace edgelm::cli {

namespace {

struct DetokenizeArgs {
  std::string model;
  std::string ids;
  std::string lines;
  bool render_special = false;
};

std::vector<int32_t> parse_id_list(std::string_view text, const std::string& where) {
  std::vector<int32_t> ids;
  std::istringstream in{std::string(text)};
  std::string word;
  while (in >> word) {
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != word.size() || v < 0 || v > INT32_MAX) fail("{}: '{}' is not a token id", where, printable(word));
    ids.push_back(static_cast<int32_t>(v));
  }
  return ids;
}

int run_detokenize(const DetokenizeArgs& args) {
  if (args.ids.empty() == args.lines.empty()) fail("give exactly one of --ids \"ID ...\" or --lines F");
  const GgufFile gguf = GgufFile::open(args.model);
  const Tokenizer tokenizer = Tokenizer::from_gguf(gguf);
  if (!args.ids.empty()) {
    const std::string text = tokenizer.decode(parse_id_list(args.ids, "--ids"), args.render_special);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    return 0;
  }
  std::ifstream in(args.lines, std::ios::binary);
  if (!in) fail("cannot read {}", args.lines);
  std::string line;
  std::string out;
  for (size_t line_no = 1; std::getline(in, line); ++line_no) {
    const std::vector<int32_t> ids = parse_id_list(line, fmt::format("{}:{}", args.lines, line_no));
    out += nlohmann::json(utf8::sanitize(tokenizer.decode(ids, args.render_special))).dump();
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

Command add_detokenize_command(CLI::App& app) {
  auto args = std::make_shared<DetokenizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "detokenize",
      "Print the text of token ids with a GGUF file's tokenizer, as llama.cpp's llama_detokenize does (leading\n"
      "space of a SentencePiece text dropped, spaces before . , ? ! dropped for BPE vocabularies). --ids prints\n"
      "the raw text; --lines F reads one line of ids per text and prints one JSON string per line (bytes that\n"
      "are not UTF-8 become U+FFFD).");
  cmd->add_option("-m,--model", args->model, "GGUF file with tokenizer.ggml.* metadata")->required();
  cmd->add_option("--ids", args->ids, "space-separated token ids");
  cmd->add_option("--lines", args->lines, "file with one line of space-separated ids per text");
  cmd->add_flag("--render-special", args->render_special, "write control tokens (\"<bos>\") as their text");
  return {cmd, [args] { return run_detokenize(*args); }};
}

}  // namespace edgelm::cli
