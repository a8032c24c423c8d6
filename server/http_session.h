// Internals of ApiServer (server/api_server.h) shared by its listener and
// its connections. Not for other users.
#pragma once

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "server/api_server.h"
#include "server/api_types.h"
#include "server/token_store.h"

namespace kongsi::server {

class HttpSessionBase {
 public:
  virtual ~HttpSessionBase() = default;
  // Closes the socket (from any thread): pending operations end with an
  // error, and the session goes away with them.
  virtual void Close() = 0;
};

// Owned jointly by the server and its sessions: a session whose last
// handler the io_context drops after the server is gone still finds it.
struct HttpShared {
  HttpShared(ApiContext c, ApiServerOptions o)
      : ctx(std::move(c)),
        options(o),
        tokens(ctx.node.db()),
        handlers(
            std::make_unique<boost::asio::thread_pool>(std::max<size_t>(1, o.handler_threads))) {}

  ApiContext ctx;
  ApiServerOptions options;
  TokenStore tokens;
  std::unique_ptr<boost::asio::thread_pool> handlers;
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP

  // Live sessions, so Stop can close them. Guarded by `mu`.
  std::mutex mu;
  bool stopping = false;
  uint64_t next_id = 0;
  std::map<uint64_t, std::weak_ptr<HttpSessionBase>> sessions;

  // Every live session, taken out under the lock (closing happens outside
  // it: a session's destructor takes the lock too).
  std::vector<std::shared_ptr<HttpSessionBase>> LiveSessions();
};

// Serves HTTP (or HTTPS when shared.tls is set) on an accepted socket whose
// executor is a strand.
void StartHttpSession(const std::shared_ptr<HttpShared>& shared,
                      boost::asio::ip::tcp::socket socket);

}  // namespace kongsi::server
