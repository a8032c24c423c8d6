// One peer link: WebSocket over TLS 1.3 at wss://HOST:PORT/v1/sync, inbound
// (accepted by PeerListener) or outbound (made for PeerDialer), driving one
// node::SyncSession (DESIGN §7).
//
// Two strands per connection. The network strand (on the daemon's
// io_context) does the handshakes, reads, and writes with one async_write in
// flight and a bounded queue behind it. The session strand (on a separate
// small thread pool) runs the SyncSession, whose Node::Receive waits on
// RocksDB fsyncs: the network threads never do. Frames hop between the two
// by posting; reads pause while too many bytes wait for the session.
//
// Who the peer is comes from its TLS certificate (node ID pinning), checked
// after the WebSocket handshake so that a refusal can carry a close reason
// (1008) the other side logs: inbound, the peer must be configured or a
// member of a collection we hold; outbound, it must be the node ID the
// config names.
//
// Beast stays inside peer_connection.cc: this header is plain Asio.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "node/node.h"
#include "server/config.h"
#include "server/peer_hub.h"

namespace kongsi::server {

// Named limits of one connection (docs/LIMITS.md).
// Frames queued for a peer that does not read them: past this the peer is
// dropped (the session's credit scheme keeps honest peers far below it).
inline constexpr size_t kMaxSendQueueBytes = 64u << 20;
// Frames read but not yet handled by the session: past this we stop reading
// until it catches up (TCP then pushes back on the peer).
inline constexpr size_t kMaxReceiveBacklogBytes = 32u << 20;
// TCP connect + TLS handshake, and the WebSocket handshake / close.
inline constexpr std::chrono::seconds kHandshakeTimeout{10};
// No frame (Beast answers its own keep-alive pings) for this long: dead.
inline constexpr std::chrono::seconds kIdleTimeout{60};
// How often a session re-checks memberships (a Join, a Grant we missed).
inline constexpr std::chrono::seconds kSessionRefreshInterval{3};
// WebSocket close reasons are at most 123 bytes (RFC 6455 §5.5).
inline constexpr size_t kMaxCloseReasonBytes = 123;
inline constexpr uint16_t kCloseGoingAway = 1001;

// The limits above that tests lower, so that reaching them takes a second
// and a few MiB rather than ten seconds and 64 MiB.
struct ConnectionLimits {
  std::chrono::milliseconds handshake_timeout = kHandshakeTimeout;
  size_t max_send_queue_bytes = kMaxSendQueueBytes;
};

// What every connection of one daemon shares; outlives them all.
struct PeerEnvironment {
  node::Node& node;
  boost::asio::io_context& ioc;
  boost::asio::ssl::context& tls;
  boost::asio::thread_pool& session_pool;
  PeerHub& hub;
  ConnectionLimits limits = {};
};

struct DialTarget {
  std::string url;
  HostPort address;
  std::string node_id;  // raw; the server's certificate must match
};

// How an outbound connection ended, for the dialer's backoff.
struct ConnectionEnd {
  bool hello_received = false;  // the link worked, whatever ended it
  std::string error;            // why it ended, for logs and PeerState
  bool superseded = false;      // closed because another link to the peer is kept
};
using ConnectionDone = std::function<void(const ConnectionEnd&)>;

// Takes over an accepted socket (its executor should be a strand).
void AcceptPeer(PeerEnvironment& env, boost::asio::ip::tcp::socket socket);

// Connects to `target`; `done` runs once, on the connection's network
// strand, when the connection is over. The returned link can shut it down.
std::shared_ptr<PeerLink> DialPeer(PeerEnvironment& env, DialTarget target, ConnectionDone done);

// `reason` cut to a valid close reason (whole UTF-8 characters).
std::string CloseReason(std::string reason);

}  // namespace kongsi::server
