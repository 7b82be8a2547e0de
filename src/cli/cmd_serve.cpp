// edgelm serve: an OpenAI-compatible HTTP server (chat completions, completions,
// models, health) with a chat page at `/`. N slots generate together; requests beyond
// them wait in a queue. See src/server/ for the API and the scheduler.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cli/model_loading.h"
#include "cli/serve_http.h"
#include "cli/text_model.h"
#include "cli/vision_input.h"
#include "runtime/thread_pool.h"
#include "server/api.h"
#include "server/scheduler.h"
#include "util/error.h"

namespace edgelm::cli {
namespace {

struct ServeArgs {
  std::string model;
  std::string alias;
  std::string template_path;
  std::string host = "127.0.0.1";
  int port = 8080;
  uint32_t parallel = 1;
  uint32_t ctx = 4096;
  uint32_t ubatch = 512;
  int threads = 0;
  std::string api_key;
  size_t max_queue = 256;
  size_t max_body = 8 << 20;
  int http_threads = 0;
  bool verbose = false;
  std::string mmproj;
};

int64_t file_time(const std::string& path) {
  std::error_code ec;
  const auto t = std::filesystem::last_write_time(path, ec);
  if (ec) return 0;
  const auto system = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::seconds>(system.time_since_epoch()).count();
}

int run_serve(ServeArgs a) {
  if (a.parallel == 0 || a.parallel > 256) fail("--parallel {} is out of range (1..256)", a.parallel);
  if (a.ubatch == 0) fail("--ubatch must be positive");
  if (a.port < 0 || a.port > 65535) fail("--port {} is out of range (0..65535; 0 = any free port)", a.port);
  if (a.max_queue == 0) fail("--max-queue must be positive");
  if (a.api_key.empty()) {
    if (const char* key = std::getenv("EDGELM_API_KEY"); key != nullptr) a.api_key = key;
  }
  // Before any thread exists, so that every thread inherits the blocked signals.
  block_server_signals();

  TextModel tm = open_text_model(a.model, a.template_path, /*need_template=*/true);
  const uint32_t max_ctx = tm.model->context_length();
  if (a.ctx < 2 || a.ctx > max_ctx) fail("--ctx {} is out of range (2..{}, the model's context length)", a.ctx, max_ctx);

  server::SchedulerOptions so;
  so.n_slots = a.parallel;
  so.n_ctx = a.ctx;
  so.threads = resolve_threads(a.threads);
  // Images are encoded on the HTTP thread that receives them, with threads of their own.
  ThreadPool image_pool(a.mmproj.empty() ? 1 : so.threads);
  VisionSupport vision(a.mmproj, *tm.model, image_pool);
  so.n_ubatch = vision.ubatch_for(a.ubatch, vision.max_image_tokens());
  so.n_batch = so.n_ubatch;
  so.max_queued = a.max_queue;
  server::Scheduler scheduler(*tm.model, tm.tokenizer, so);

  server::ServedModel served;
  served.id = a.alias.empty() ? std::filesystem::path(a.model).stem().string() : a.alias;
  served.tokenizer = &tm.tokenizer;
  served.chat_template = tm.chat_template;
  served.special = tm.special;
  served.created = file_time(a.model);
  served.images = vision.embedder();
  server::Api api(served, scheduler, a.api_key);

  HttpOptions http;
  http.host = a.host;
  http.port = a.port;
  http.max_body_bytes = a.max_body;
  http.log_requests = a.verbose;
  http.threads = a.http_threads > 0 ? a.http_threads : static_cast<int>(std::max<uint32_t>(16, 4 * a.parallel));
  http.banner = fmt::format("edgelm serve · model {} · {} slot{} of {} tokens · {} threads{}{}", served.id, a.parallel,
                            a.parallel == 1 ? "" : "s", a.ctx, so.threads, vision.enabled() ? " · images" : "",
                            a.api_key.empty() ? "" : " · API key required");
  serve_http(api, http);
  return 0;
}

}  // namespace

Command add_serve_command(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* sub = app.add_subcommand(
      "serve",
      "Serve a model over an OpenAI-compatible HTTP API (POST /v1/chat/completions and /v1/completions, streaming "
      "or not; GET /v1/models and /health) with a chat page at /. --parallel requests generate together; more wait "
      "in a queue.");
  sub->add_option("-m,--model", a->model, "GGUF model file")->required();
  sub->add_option("--host", a->host, "Address to listen on (127.0.0.1: this machine only)")->capture_default_str();
  sub->add_option("--port", a->port, "Port to listen on (0: any free port, printed at start)")->capture_default_str();
  sub->add_option("--parallel", a->parallel, "Requests generated at once (slots, each with its own KV cache)")
      ->capture_default_str();
  sub->add_option("-c,--ctx", a->ctx, "Context size of each slot in tokens (prompt + reply)")->capture_default_str();
  sub->add_option("--api-key", a->api_key,
                  "Require 'Authorization: Bearer KEY' on /v1 (default: $EDGELM_API_KEY if set, else no key)");
  sub->add_option("--alias", a->alias, "Model name in the API [default: the file name without .gguf]");
  sub->add_option("--template", a->template_path, "Jinja chat template file instead of the model's own");
  sub->add_option("-u,--ubatch", a->ubatch, "Prompt tokens per forward micro-batch")->capture_default_str();
  sub->add_option("-t,--threads", a->threads, "Threads for the model [default: all cores]");
  sub->add_option("--max-queue", a->max_queue, "Requests that may wait for a slot; more are refused (503)")
      ->capture_default_str();
  sub->add_option("--max-body", a->max_body, "Largest request body in bytes (larger: 413)")->capture_default_str();
  sub->add_option("--http-threads", a->http_threads,
                  "Connections served at once [default: max(16, 4 x --parallel)]");
  sub->add_flag("-v,--verbose", a->verbose, "Log each request (client, method, path, status) to stderr");
  sub->add_option("--mmproj", a->mmproj,
                  "Vision encoder GGUF (mmproj, projector gemma4v): chat messages may then carry image_url parts "
                  "(data: URLs) and the chat page an attach button");
  return {sub, [a] { return run_serve(*a); }};
}

}  // namespace edgelm::cli
