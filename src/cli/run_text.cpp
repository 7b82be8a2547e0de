#include "cli/run_text.h"

#include <fmt/format.h>

#include <cstdio>

#include "chat/conversation.h"
#include "cli/interrupt.h"
#include "cli/memory_report.h"
#include "cli/model_loading.h"
#include "cli/reply_printer.h"
#include "cli/text_model.h"
#include "runtime/generator.h"
#include "runtime/thread_pool.h"
#include "sample/sampler.h"
#include "util/error.h"

namespace edgelm::cli {

int run_text(const TextRunOptions& o) {
  o.sampling.validate();
  if (o.ubatch == 0) fail("--ubatch must be positive");
  if (o.n_predict < -1) fail("-n must be -1 (until the end of the answer) or more");
  if (o.raw && (!o.system.empty() || o.think)) fail("--raw sends the text as it is: it cannot take --system or --think");
  TextModel tm = open_text_model(o.model, o.template_path, /*need_template=*/false);
  // A base model (OpenELM) has no chat template: its prompt is completed as plain text.
  const bool raw = o.raw || tm.chat_template.empty();
  if (raw && !o.raw) {
    if (!o.system.empty() || o.think) {
      fail("{}: no chat template (a base model): --system and --think need one (--template FILE)", o.model);
    }
    std::fprintf(stderr, "note: %s has no chat template (a base model): completing the prompt as plain text\n",
                 o.model.c_str());
  }
  const uint32_t ctx = context_size(o.ctx, o.ctx_given, *tm.model);

  std::string prompt_text = o.prompt;
  if (!raw) {
    Conversation conversation(tm.chat_template, tm.render_options(o.think));
    conversation.set_system(o.system);
    conversation.add_user(o.prompt);
    prompt_text = conversation.render_for_reply();
  }
  const std::vector<int32_t> prompt = raw ? tm.tokenizer.encode(prompt_text, true, true) : tm.encode_prompt(prompt_text);
  if (prompt.empty()) fail("the prompt is empty");

  const int threads = resolve_threads(o.threads);
  ThreadPool pool(threads);
  Generator generator(*tm.model, pool, ctx, o.ubatch, o.kv);
  Sampler sampler(o.sampling, tm.model->n_vocab());
  for (int32_t t : prompt) sampler.accept(t);
  generator.set_prompt(prompt);

  InterruptScope interrupts;
  ReplySettings settings;
  settings.stops = o.stops;
  // Until the end of the answer; with an evicting cache the context no longer stops a
  // model that never ends its turn, so at most one context's worth.
  settings.max_tokens = o.n_predict >= 0 || !generator.cache().evicts() ? o.n_predict : static_cast<int>(ctx);
  settings.ignore_eog = o.ignore_eos;
  settings.show_thoughts = o.think;
  settings.thoughts_to_stderr = true;
  const GenerateResult result = stream_reply(generator, sampler, tm.tokenizer, settings).result;
  std::printf("\n");
  std::fflush(stdout);

  const GenerationStats& s = generator.stats();
  std::string why;
  if (result.finish == FinishReason::context_full) why = fmt::format("; stopped: the context of {} tokens is full", ctx);
  if (result.finish == FinishReason::cancelled) why = "; stopped by Ctrl-C";
  const std::string seed = o.sampling.temperature > 0.0f ? fmt::format("; seed {}", sampler.seed()) : "";
  std::fprintf(stderr, "prompt: %u tokens in %.2f s (%.1f t/s); generated %u tokens, decode %.2f t/s; %d threads%s%s\n",
               s.prompt_tokens_evaluated, s.prompt_ms / 1000.0, s.prompt_tokens_per_s(), s.generated_tokens,
               s.decode_tokens_per_s(), threads, seed.c_str(), why.c_str());
  if (o.mem) print_measured_memory(generator, tm.model->file());
  return 0;
}

}  // namespace edgelm::cli
