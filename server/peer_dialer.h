// Keeps one configured peer connected: dials it, and when the link fails or
// ends, dials again after a capped exponential backoff with full jitter.
// While another live connection to that peer exists (it dialled us), the
// dialer only checks back now and then.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <string>

#include "server/config.h"
#include "server/peer_connection.h"

namespace kongsi::server {

// How often an idle dialer looks whether the peer's own connection to us
// is still there.
inline constexpr std::chrono::seconds kConnectedRecheckInterval{1};

struct Backoff {
  std::chrono::milliseconds min{kDefaultReconnectMinMs};
  std::chrono::milliseconds max{kDefaultReconnectMaxMs};
};

// The wait before the next dial after `failures` consecutive failed ones:
// uniform over [min, cap], cap = min(max, min * 2^failures), with
// `unit_random` in [0, 1) choosing the point. Jitter spreads the dials of
// many nodes after an outage; the floor keeps a refused dial from spinning.
std::chrono::milliseconds BackoffDelay(const Backoff& backoff, unsigned failures, double unit_random);

class PeerDialer : public std::enable_shared_from_this<PeerDialer> {
 public:
  PeerDialer(PeerEnvironment& env, PeerConfig peer, Backoff backoff);

  // Dials at once, then keeps at it until Stop. Thread-safe.
  void Start();
  // Stops dialing and closes its connection (1001 with `reason`).
  // Thread-safe; returns at once.
  void Stop(const std::string& reason);
  const PeerConfig& peer() const { return peer_; }

 private:
  void Dial();
  void OnEnded(const ConnectionEnd& end);
  void WaitThenDial(std::chrono::milliseconds delay);
  std::string Tag() const;

  PeerEnvironment& env_;
  const PeerConfig peer_;
  const Backoff backoff_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  std::weak_ptr<PeerLink> link_;  // the connection being made or up
  unsigned failures_ = 0;
  bool stopped_ = false;
  std::mt19937_64 random_;
};

}  // namespace kongsi::server
