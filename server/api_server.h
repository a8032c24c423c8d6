// The local HTTP/1.1 API server (`kongsi serve`, DESIGN §8): Beast on the
// daemon's io_context for the sockets, a small pool of its own for the
// route handlers, since an import or an export runs for seconds and must not
// hold up the network threads.
//
// Plain HTTP on a loopback address; HTTPS with the node's certificate when
// bound to anything else (clients pin it by node ID: there is no CA).
// Bearer tokens (server/token_store.h) decide the role of each request.
//
// Per request: header (<= kMaxApiHeaderBytes) -> token -> route -> role ->
// body (JSON <= kMaxApiJsonBodyBytes, or an upload <= kMaxApiUploadBytes
// spooled to <data>/tmp/) -> handler on the pool -> JSON, or a chunked
// stream written as the handler produces it (back-pressure: the handler
// waits for each chunk to be sent, so memory stays flat).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "server/api_types.h"
#include "server/config.h"
#include "server/runtime_file.h"

namespace kongsi::server {

// Reading a request's header or JSON body, or one piece of an upload.
inline constexpr std::chrono::seconds kApiReadTimeout{30};
// Writing one response or one chunk of a stream.
inline constexpr std::chrono::seconds kApiWriteTimeout{60};
// Connections served at once; more are closed on accept.
inline constexpr size_t kMaxApiConnections = 64;
inline constexpr size_t kApiHandlerThreads = 4;
// The size of one chunk of a streamed response.
inline constexpr size_t kApiStreamChunkBytes = 64 * 1024;

struct ApiServerOptions {
  size_t handler_threads = kApiHandlerThreads;
  uint64_t max_upload_bytes = kMaxApiUploadBytes;  // tests lower it
};

struct HttpShared;

class ApiServer {
 public:
  // `context.node` must outlive the server; `listen` is HOST:PORT (port 0:
  // any free port).
  ApiServer(boost::asio::io_context& ioc, ApiContext context, std::string listen,
            ApiServerOptions options = {});
  ~ApiServer();  // Stop()
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and starts accepting (the io_context must be run by the caller).
  // Removes spool files a crash left behind.
  Status Start();
  // Stops accepting, closes every connection and waits for the handlers
  // that run (an import being applied finishes first: it lands whole or not
  // at all). Call it while the io_context still runs. Idempotent.
  void Stop();

  uint16_t port() const;
  bool tls() const;
  // http://127.0.0.1:PORT, or https://HOST:PORT; a wildcard listen address
  // is given as the loopback address, which is what local tools dial.
  std::string url() const;

 private:
  class Listener;
  boost::asio::io_context& ioc_;
  std::string listen_;
  std::shared_ptr<HttpShared> shared_;
  std::shared_ptr<Listener> listener_;
  boost::asio::ip::tcp::endpoint bound_;
  bool stopped_ = false;
};

// The daemon's API: listens on `listen`, replaces the admin token named
// kLocalCliTokenName with a fresh one, and puts both in `runtime` (what
// <data>/serve.json tells local tools).
Result<std::unique_ptr<ApiServer>> StartLocalApi(boost::asio::io_context& ioc, ApiContext context,
                                                 const HostPort& listen, RuntimeInfo* runtime);

}  // namespace kongsi::server
