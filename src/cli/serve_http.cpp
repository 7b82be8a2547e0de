#include "cli/serve_http.h"

#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include <fmt/format.h>

#include "chat_page.h"
#include "server/api_error.h"
#include "server/openai_json.h"
#include "util/error.h"

namespace edgelm::cli {

namespace {

using namespace std::chrono_literals;

// How long a reply waits for new text before checking that its client is still there.
constexpr auto kPollInterval = 100ms;

std::string_view chat_page() { return {reinterpret_cast<const char*>(kChatPage), sizeof(kChatPage)}; }

// A generation's reply, written as the channel delivers it. Returning false (or the
// releaser seeing a failure) means the client is gone: the generation is cancelled.
void stream_reply(server::ApiReply reply, httplib::Response& res) {
  auto channel = reply.channel;
  auto formatter = reply.formatter;
  if (std::string_view(formatter->content_type()) == "text/event-stream") {
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
  }
  res.set_chunked_content_provider(
      formatter->content_type(),
      [channel, formatter](size_t, httplib::DataSink& sink) {
        const std::string bytes = formatter->format(channel->take(kPollInterval));
        // (An empty write would end the body: write only what there is.)
        if (!bytes.empty() && !sink.write(bytes.data(), bytes.size())) {
          channel->cancel();
          return false;
        }
        if (formatter->done()) {
          sink.done();
          return true;
        }
        if (bytes.empty() && !sink.is_writable()) {  // nothing new: is the client still there?
          channel->cancel();
          return false;
        }
        return true;
      },
      [channel](bool success) {
        if (!success) channel->cancel();
      });
}

void respond(server::Api& api, const httplib::Request& req, httplib::Response& res) {
  if (req.method == "GET" && (req.path == "/" || req.path == "/index.html")) {
    res.set_content(chat_page().data(), chat_page().size(), "text/html; charset=utf-8");
    return;
  }
  server::ApiReply reply = api.handle(req.method, req.path, req.get_header_value("Authorization"), req.body);
  res.status = reply.status;
  if (reply.channel) {
    stream_reply(std::move(reply), res);
  } else {
    res.set_content(reply.body, reply.content_type);
  }
}

// httplib's own refusals (malformed request, body over the limit, ...) come with an
// empty body: give them OpenAI's error object too.
void fill_error_body(const httplib::Request&, httplib::Response& res, size_t max_body) {
  if (!res.body.empty()) return;
  std::string message;
  switch (res.status) {
    case 413: message = fmt::format("the request body is larger than the limit of {} bytes", max_body); break;
    case 414: message = "the request URL is too long"; break;
    case 404: message = "not found"; break;
    case 400: message = "malformed HTTP request"; break;
    default: message = fmt::format("HTTP error {}", res.status); break;
  }
  const server::ApiError error(res.status, message);
  res.set_content(server::to_text(error.body()), "application/json");
}

std::string url(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

}  // namespace

void block_server_signals() {
  ::signal(SIGPIPE, SIG_IGN);  // a client gone mid-write is an error return, not the end of the server
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void serve_http(server::Api& api, const HttpOptions& o) {
  httplib::Server svr;
  const int threads = o.threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  svr.set_payload_max_length(o.max_body_bytes);
  svr.set_keep_alive_max_count(1000);
  const auto handler = [&api](const httplib::Request& req, httplib::Response& res) { respond(api, req, res); };
  svr.Get(".*", handler);
  svr.Post(".*", handler);
  svr.Put(".*", handler);
  svr.Patch(".*", handler);
  svr.Delete(".*", handler);
  svr.Options(".*", handler);
  const size_t max_body = o.max_body_bytes;
  svr.set_error_handler(
      [max_body](const httplib::Request& req, httplib::Response& res) { fill_error_body(req, res, max_body); });
  // What the API does not turn into an ApiError itself (it should not happen) is a 500
  // with the reason, and the server goes on.
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    res.status = 500;
    res.set_content(server::to_text(server::ApiError(500, "internal error: " + what).body()), "application/json");
  });

  if (o.log_requests) {
    // Called once the response is written (for a stream: at its end).
    svr.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      std::fprintf(stderr, "%s %s %s -> %d\n", req.remote_addr.c_str(), req.method.c_str(), req.path.c_str(), res.status);
    });
  }

  int port = o.port;
  if (port == 0) {
    port = svr.bind_to_any_port(o.host);
    if (port <= 0) fail("cannot listen on {} (any port)", o.host);
  } else if (!svr.bind_to_port(o.host, port)) {
    fail("cannot listen on {}:{} (in use, or not an address of this machine)", o.host, port);
  }
  std::fprintf(stderr, "%s\nlistening on %s (chat page at /, API at /v1; Ctrl-C stops)\n", o.banner.c_str(),
               url(o.host, port).c_str());
  std::fflush(stderr);

  // SIGINT/SIGTERM (blocked in every thread) are taken here and stop the server.
  std::atomic<bool> finished{false};
  std::thread signals([&] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    const timespec wait{0, 200'000'000};
    while (!finished.load()) {
      if (sigtimedwait(&set, nullptr, &wait) > 0) {
        std::fprintf(stderr, "stopping\n");
        // (stop() does nothing until listening has begun: repeat until it ends.)
        while (!finished.load()) {
          svr.stop();
          std::this_thread::sleep_for(50ms);
        }
        return;
      }
    }
  });
  svr.listen_after_bind();
  finished.store(true);
  signals.join();
}

}  // namespace edgelm::cli
