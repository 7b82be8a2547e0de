#include "cli/run_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include "chat/conversation.h"
#include "cli/interrupt.h"
#include "cli/memory_report.h"
#include "cli/model_loading.h"
#include "cli/probs_output.h"
#include "cli/reply_printer.h"
#include "cli/text_model.h"
#include "cli/vision_input.h"
#include "runtime/generator.h"
#include "runtime/thread_pool.h"
#include "sample/sampler.h"
#include "util/error.h"
#include "vision/image_prompt.h"

namespace edgelm::cli {

namespace {

// The token-level mode: forced tokens first, then greedy/sampled ones, ids on stdout.
int print_token_ids(const TextRunOptions& o, const TextModel& tm, Generator& generator, Sampler& sampler) {
  std::unique_ptr<std::ofstream> probs;
  if (!o.probs_out.empty()) {
    probs = std::make_unique<std::ofstream>(o.probs_out);
    if (!*probs) fail("{}: cannot create", o.probs_out);
  }
  std::vector<int32_t> out;
  for (int32_t t : o.force_ids) {
    if (t < 0 || static_cast<uint32_t>(t) >= tm.model->n_vocab()) fail("--force-ids: token {} is out of range", t);
    const int32_t choice = sampler.sample(generator.logits());
    if (probs) write_probs(*probs, t, choice, generator.logits());
    sampler.accept(t);
    generator.append(t);
    generator.evaluate_pending(1);
    out.push_back(t);
  }
  GenerateOptions options;
  options.max_tokens = o.n_predict < 0 ? -1 : std::max(0, o.n_predict - static_cast<int>(out.size()));
  options.is_eog = [&tm](int32_t t) { return tm.tokenizer.is_eog(t); };
  options.ignore_eog = o.ignore_eos;
  const GenerateResult result = generator.generate(sampler, options, [&](int32_t t) {
    if (probs) write_probs(*probs, t, t, generator.logits());
    return true;
  });
  // The terminating end-of-generation token gets its line too (no callback for it).
  if (probs && result.finish == FinishReason::eog) {
    write_probs(*probs, result.tokens.back(), result.tokens.back(), generator.logits());
  }
  out.insert(out.end(), result.tokens.begin(), result.tokens.end());
  std::string line;
  for (int32_t t : out) line += fmt::format("{}{}", line.empty() ? "" : " ", t);
  std::printf("%s\n", line.c_str());
  return 0;
}

}  // namespace

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

  const int threads = resolve_threads(o.threads);
  ThreadPool pool(threads);
  VisionSupport vision(o.mmproj, *tm.model, pool);
  std::vector<std::shared_ptr<const ImageEmbedding>> images;
  uint32_t image_tokens = 0;
  for (const std::string& path : o.images) {
    images.push_back(vision.embed_file(path));
    image_tokens = std::max(image_tokens, images.back()->n_tokens);
  }

  const std::string user_text = with_image_markers(o.prompt, images.size());
  std::string prompt_text = user_text;
  if (!raw) {
    Conversation conversation(tm.chat_template, tm.render_options(o.think));
    conversation.set_system(o.system);
    conversation.add_user(user_text);
    prompt_text = conversation.render_for_reply();
  }
  const TokenizedPrompt prompt =
      tokenize_with_images(prompt_text, images, tm.tokenizer, raw ? "" : std::string_view(tm.special.bos));
  if (prompt.tokens.empty()) fail("the prompt is empty");

  Generator generator(*tm.model, pool, ctx, vision.ubatch_for(o.ubatch, image_tokens), o.kv);
  Sampler sampler(o.sampling, tm.model->n_vocab());
  for (int32_t t : prompt.tokens) {
    if (t != kImageTokenId) sampler.accept(t);
  }
  generator.set_prompt(prompt.tokens, prompt.images);

  if (o.print_ids) return print_token_ids(o, tm, generator, sampler);
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
