#pragma once
// The HTTP transport of `edgelm serve` (cpp-httplib): every request goes to the
// HTTP-independent server::Api, the chat page is served at `/`, and a generation's
// reply is written as it arrives (chunked transfer; server-sent events when
// streaming). A client that goes away cancels its generation.
#include <cstddef>
#include <string>

#include "server/api.h"

namespace edgelm::cli {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;              // 0: any free port (the one chosen is printed)
  size_t max_body_bytes = 8 << 20;
  int threads = 16;             // connections served at once (a streaming reply holds one)
  std::string banner;           // printed with the address once listening
  bool log_requests = false;    // one line per request on stderr
};

// Serves until SIGINT or SIGTERM. Throws edgelm::Error when it cannot listen.
// Call before any other thread is started: it blocks those signals (and ignores
// SIGPIPE) in the calling thread, which the threads started later inherit.
void block_server_signals();
void serve_http(server::Api& api, const HttpOptions& options);

}  // namespace edgelm::cli
