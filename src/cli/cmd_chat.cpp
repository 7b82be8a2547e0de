// edgelm chat: an interactive multi-turn conversation in the terminal. Each turn
// renders the whole history with the model's chat template; the generator reuses the
// KV cache for the part of the prompt it has already seen, so only the new turn is
// evaluated. Ctrl-C stops the answer being written, not the program.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "chat/conversation.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/kv_options.h"
#include "cli/model_loading.h"
#include "cli/reply_printer.h"
#include "cli/sampling_options.h"
#include "cli/text_model.h"
#include "cli/vision_input.h"
#include "runtime/generator.h"
#include "runtime/thread_pool.h"
#include "sample/sampler.h"
#include "util/error.h"
#include "vision/image_prompt.h"

namespace edgelm::cli {
namespace {

struct ChatArgs {
  std::string model;
  std::string system;
  std::string template_path;
  bool think = false;
  uint32_t ctx = 4096;
  bool ctx_given = false;  // else ctx is capped at the model's context length
  uint32_t ubatch = 512;
  int threads = 0;
  int n_predict = -1;
  std::vector<std::string> stops;
  SamplingParams sampling;
  KvCliOptions kv;
  bool verbose = false;
  std::string mmproj;
};

enum class LineResult { line, eof, interrupted };

// One line from stdin with read(2): a Ctrl-C interrupts it (EINTR) instead of being
// swallowed by a restarting stdio read, and the terminal's own line editing applies.
LineResult read_line(std::string& line) {
  line.clear();
  char ch;
  while (true) {
    const ssize_t n = ::read(STDIN_FILENO, &ch, 1);
    if (n == 1) {
      if (ch == '\n') return LineResult::line;
      line += ch;
      continue;
    }
    if (n < 0 && errno == EINTR) return LineResult::interrupted;
    return line.empty() ? LineResult::eof : LineResult::line;
  }
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

constexpr const char* kHelp =
    "  /image FILE  show the model an image with your next message (needs --mmproj)\n"
    "  /reset   forget the conversation (the system prompt stays)\n"
    "  /exit    quit (also /quit or Ctrl-D)\n"
    "  Ctrl-C   stop the answer being written\n";

class ChatLoop {
 public:
  ChatLoop(const ChatArgs& a, TextModel& tm, ThreadPool& pool, VisionSupport& vision)
      : a_(a),
        tm_(tm),
        vision_(vision),
        conversation_(tm.chat_template, tm.render_options(a.think)),
        generator_(*tm.model, pool, a.ctx, vision.ubatch_for(a.ubatch, vision.max_image_tokens()),
                   kv_cache_options(a.kv)),
        sampler_(a.sampling, tm.model->n_vocab()) {
    conversation_.set_system(a.system);
  }

  int run() {
    std::printf("edgelm chat · %s · context %u tokens\n", std::filesystem::path(a_.model).filename().c_str(), a_.ctx);
    std::printf("Type a message and press Enter. /help lists the commands; Ctrl-C stops an answer.\n");
    InterruptScope interrupts;
    std::string line;
    while (true) {
      std::printf("\n> ");
      std::fflush(stdout);
      const LineResult r = read_line(line);
      if (r == LineResult::eof) {
        std::printf("\n");
        return 0;
      }
      if (r == LineResult::interrupted) {
        InterruptScope::take();
        std::printf("\n(type /exit or press Ctrl-D to quit)\n");
        continue;
      }
      const std::string text = trim(line);
      if (text.empty()) continue;
      if (text == "/exit" || text == "/quit") return 0;
      if (text == "/help") {
        std::fputs(kHelp, stdout);
        continue;
      }
      if (text == "/image" || text.starts_with("/image ")) {
        attach_image(trim(text.substr(6)));
        continue;
      }
      if (text == "/reset") {
        conversation_.reset();
        sampler_.reset();
        images_.clear();
        pending_images_ = 0;
        std::printf("(conversation cleared)\n");
        continue;
      }
      if (text[0] == '/') {
        std::printf("unknown command %s\n%s", text.c_str(), kHelp);
        continue;
      }
      reply(text);
    }
  }

 private:
  void attach_image(const std::string& path) {
    if (path.empty()) {
      std::printf("usage: /image FILE\n");
      return;
    }
    try {
      images_.push_back(vision_.embed_file(path));
      ++pending_images_;
      std::printf("(image attached: %u tokens; it goes with your next message)\n", images_.back()->n_tokens);
    } catch (const Error& e) {
      std::printf("error: %s\n", e.what());
    }
  }

  // The prompt for the next reply. With an evicting KV policy the whole history is
  // kept (the cache compresses it; only the new turn is evaluated); without one the
  // oldest turns are dropped while the history does not fit with room to answer. The
  // prompt's image markers stand for the most recent images (dropped turns take the
  // oldest with them).
  bool fit_prompt(TokenizedPrompt& prompt) {
    const uint32_t room = std::min<uint32_t>(256, a_.ctx / 4);
    while (true) {
      const std::string rendered = conversation_.render_for_reply();
      const size_t shown = std::min(count_image_markers(rendered), images_.size());
      images_.erase(images_.begin(), images_.end() - static_cast<std::ptrdiff_t>(shown));
      prompt = tokenize_with_images(rendered, images_, tm_.tokenizer, tm_.special.bos);
      const std::vector<int32_t>& ids = prompt.tokens;
      if (generator_.cache().evicts()) return true;
      if (ids.size() + room <= a_.ctx) return true;
      if (!conversation_.drop_oldest_turn()) {
        std::printf("(this message is %zu tokens; the context holds %u with room to answer: try a shorter one, or "
                    "a larger --ctx)\n",
                    ids.size(), a_.ctx);
        return false;
      }
      std::printf("(the conversation outgrew the context: the oldest turn was forgotten)\n");
    }
  }

  void reply(const std::string& text) {
    std::string content;
    for (size_t i = 0; i < pending_images_; ++i) content += kImageMarker;
    conversation_.add_user(content + text);
    const size_t attached = pending_images_;
    pending_images_ = 0;
    TokenizedPrompt prompt;
    bool fits = false;
    try {
      fits = fit_prompt(prompt);
    } catch (const Error& e) {
      std::printf("error: %s\n", e.what());
    }
    if (!fits) {
      // The message is taken back, and its images with it.
      conversation_.drop_last_message();
      images_.resize(images_.size() - std::min(attached, images_.size()));
      return;
    }
    generator_.set_prompt(prompt.tokens, prompt.images);
    ReplySettings settings;
    settings.stops = a_.stops;
    // -1: until the model ends its turn; at most one context's worth when the cache evicts
    // (the context no longer stops a model that never does).
    settings.max_tokens = a_.n_predict >= 0 || !generator_.cache().evicts() ? a_.n_predict
                                                                            : static_cast<int>(generator_.n_ctx());
    settings.show_thoughts = a_.think;
    const StreamedReply streamed = stream_reply(generator_, sampler_, tm_.tokenizer, settings);
    const GenerateResult& result = streamed.result;
    if (result.finish == FinishReason::cancelled) {
      InterruptScope::take();
      std::printf(" [stopped]");
    } else if (result.finish == FinishReason::context_full) {
      std::printf(" [context full]");
    }
    std::printf("\n");
    if (a_.verbose) {
      const GenerationStats& s = generator_.stats();
      std::fprintf(stderr, "[prompt %u new + %u reused tokens, %.1f t/s; %u tokens, %.1f t/s]\n",
                   s.prompt_tokens_evaluated, s.prompt_tokens_reused, s.prompt_tokens_per_s(), s.generated_tokens,
                   s.decode_tokens_per_s());
    }
    conversation_.add_assistant(streamed.answer);
  }

  const ChatArgs& a_;
  TextModel& tm_;
  VisionSupport& vision_;
  std::vector<std::shared_ptr<const ImageEmbedding>> images_;  // those the conversation shows, oldest first
  size_t pending_images_ = 0;  // attached for the next message
  Conversation conversation_;
  Generator generator_;
  Sampler sampler_;
};

int run_chat(ChatArgs a) {
  a.sampling.validate();
  if (a.ubatch == 0) fail("--ubatch must be positive");
  TextModel tm = open_text_model(a.model, a.template_path, /*need_template=*/true);
  a.ctx = context_size(a.ctx, a.ctx_given, *tm.model);
  ThreadPool pool(resolve_threads(a.threads));
  VisionSupport vision(a.mmproj, *tm.model, pool);
  ChatLoop loop(a, tm, pool, vision);
  return loop.run();
}

}  // namespace

Command add_chat_command(CLI::App& app) {
  auto a = std::make_shared<ChatArgs>();
  CLI::App* sub = app.add_subcommand(
      "chat",
      "Chat with a model in the terminal: multi-turn, streaming. In the chat, /image FILE shows the model an "
      "image (with --mmproj), /reset clears the conversation, /exit quits, Ctrl-C stops the answer being written.");
  sub->add_option("-m,--model", a->model, "GGUF model file")->required();
  sub->add_option("-s,--system", a->system, "System prompt for the conversation");
  sub->add_option("--template", a->template_path, "Jinja chat template file instead of the model's own");
  sub->add_flag("--think", a->think,
                "Let the model reason first (Gemma 4 thinking mode); its thoughts are shown dimmed, apart from "
                "the answer");
  sub->add_option("-n,--n-predict", a->n_predict,
                  "Most tokens per answer (-1: until the model ends its turn, at most --ctx tokens)")
      ->capture_default_str();
  sub->add_option("--stop", a->stops, "Stop an answer at this text (repeatable)");
  add_sampling_options(sub, a->sampling);
  sub->add_option("-c,--ctx", a->ctx,
                  "Context size in tokens (when it is full the KV policy compresses the history; with "
                  "--kv-policy none the oldest turns are dropped) [default: 4096, or the model's context length if "
                  "smaller]");
  add_kv_options(sub, a->kv);
  sub->add_option("-u,--ubatch", a->ubatch, "Prompt tokens per forward micro-batch")->capture_default_str();
  sub->add_option("-t,--threads", a->threads, "Threads [default: all cores]");
  sub->add_option("--mmproj", a->mmproj, "Vision encoder GGUF (mmproj, projector gemma4v): enables /image FILE");
  sub->add_flag("-v,--verbose", a->verbose, "Print prompt and generation speed after each answer (stderr)");
  return {sub, [a, sub] {
            a->ctx_given = sub->count("--ctx") > 0;
            return run_chat(*a);
          }};
}

}  // namespace edgelm::cli
