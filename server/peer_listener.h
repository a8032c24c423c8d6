// Accepts peer connections on the peer_listen address and hands each socket
// to a PeerConnection (which does TLS, the WebSocket upgrade and the
// identity check).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>

#include "server/config.h"
#include "server/peer_connection.h"

namespace kongsi::server {

// After a failed accept (out of file descriptors, say), wait this long
// before the next, rather than spin.
inline constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

class PeerListener {
 public:
  explicit PeerListener(PeerEnvironment& env);

  // Binds and listens (SO_REUSEADDR, so a restarted daemon gets its port
  // back at once). An error names the address.
  Status Listen(const HostPort& address);
  // The bound port (the real one when the address asked for port 0).
  uint16_t port() const { return port_; }
  // Starts accepting. Call once, after Listen.
  void Start();
  // Stops accepting; thread-safe. Connections already made go on.
  void Stop();

 private:
  void DoAccept();

  PeerEnvironment& env_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  uint16_t port_ = 0;
};

}  // namespace kongsi::server
