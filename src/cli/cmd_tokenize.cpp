// edgelm tokenize: text -> token ids with a GGUF file's tokenizer (vocab-only files work).
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/text_file.h"
#include "gguf/gguf_reader.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace edgelm::cli {

namespace {

struct TokenizeArgs {
  std::string model;
  std::string prompt;
  std::string file;
  std::string lines_json;
  bool no_bos = false;
  bool no_special = false;
  bool specials = false;
  bool has_prompt = false;  // -p given (an empty prompt is an input too)
};

std::string read_file(const std::string& path) {
  std::optional<std::string> text = read_whole_file(path);
  if (!text) fail("cannot read {}", path);
  return std::move(*text);
}

// One JSON string per line (JSON escapes keep newlines and odd characters intact).
std::vector<std::string> read_json_lines(const std::string& path) {
  const std::string content = read_file(path);
  std::vector<std::string> texts;
  size_t line_no = 0;
  for (size_t pos = 0; pos < content.size();) {
    size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    ++line_no;
    const std::string_view line = std::string_view(content).substr(pos, end - pos);
    pos = end + 1;
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      fail("{}:{}: not a JSON string ({})", path, line_no, e.what());
    }
    if (!value.is_string()) fail("{}:{}: expected a JSON string, got {}", path, line_no, value.type_name());
    texts.push_back(value.get<std::string>());
  }
  return texts;
}

// One JSON object per special token: what is matched in text and what ends generation.
int list_specials(const Tokenizer& tokenizer) {
  std::vector<int32_t> ids = tokenizer.special_tokens();
  for (const int32_t id : tokenizer.eog_tokens()) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (const int32_t id : ids) {
    const nlohmann::json line = {{"id", id},
                                 {"text", utf8::sanitize(tokenizer.token_text(id))},
                                 {"control", tokenizer.is_control(id)},
                                 {"user_defined", tokenizer.is_user_defined(id)},
                                 {"eog", tokenizer.is_eog(id)}};
    fmt::print("{}\n", line.dump());
  }
  fmt::print("{}\n", nlohmann::json({{"bos", tokenizer.bos()},
                                      {"eos", tokenizer.eos()},
                                      {"eot", tokenizer.eot()},
                                      {"add_bos", tokenizer.add_bos_by_default()}})
                         .dump());
  return 0;
}

int run_tokenize(const TokenizeArgs& args) {
  if (args.specials) {
    const GgufFile gguf = GgufFile::open(args.model);
    return list_specials(Tokenizer::from_gguf(gguf));
  }
  const int n_inputs = (args.has_prompt ? 1 : 0) + (args.file.empty() ? 0 : 1) + (args.lines_json.empty() ? 0 : 1);
  if (n_inputs != 1) fail("give exactly one of -p TEXT, --file F or --lines-json F");
  std::vector<std::string> texts;
  if (args.has_prompt) texts.push_back(args.prompt);
  if (!args.file.empty()) texts.push_back(read_file(args.file));
  if (!args.lines_json.empty()) texts = read_json_lines(args.lines_json);

  const GgufFile gguf = GgufFile::open(args.model);
  const Tokenizer tokenizer = Tokenizer::from_gguf(gguf);
  std::string out;
  for (const std::string& text : texts) {
    const std::vector<int32_t> ids = tokenizer.encode(text, !args.no_bos, !args.no_special);
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) out += ' ';
      fmt::format_to(std::back_inserter(out), "{}", ids[i]);
    }
    out += '\n';
    if (out.size() > (1u << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

Command add_tokenize_command(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "tokenize",
      "Print the token ids of text with a GGUF file's tokenizer (gemma4, gpt2/llama-bpe or llama SentencePiece),\n"
      "as llama.cpp's llama_tokenize does. Works on vocab-only GGUF files. One line of space-separated ids per\n"
      "input. BOS is added when the file says so (tokenizer.ggml.add_bos_token; Gemma 4 always) unless --no-bos;\n"
      "a BOS written in the text is kept, so \"<bos>hi\" gives two. Special tokens written in the text (\"<|turn>\",\n"
      "\"<bos>\") become those tokens unless --no-special; user-defined ones (\"<|channel>\") always do.");
  cmd->add_option("-m,--model", args->model, "GGUF file with tokenizer.ggml.* metadata")->required();
  CLI::Option* prompt = cmd->add_option("-p,--prompt", args->prompt, "text to tokenize");
  cmd->add_option("--file", args->file, "tokenize the whole content of this file as one text");
  cmd->add_option("--lines-json", args->lines_json,
                  "tokenize many texts: one JSON string per line, one output line per input line");
  cmd->add_flag("--no-bos", args->no_bos, "add no BOS (and no EOS) even if the file asks for it");
  cmd->add_flag("--no-special", args->no_special, "treat control-token text like \"<bos>\" as plain text");
  cmd->add_flag("--specials", args->specials,
                "instead of tokenizing, list the special tokens (JSON lines: id, text, control, user_defined, eog),\n"
                "then bos/eos/eot and add_bos");
  return {cmd, [args, prompt] {
            args->has_prompt = prompt->count() > 0;
            return run_tokenize(*args);
          }};
}

}  // namespace edgelm::cli
