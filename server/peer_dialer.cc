#include "server/peer_dialer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "node/hlc.h"
#include "node/identity.h"

namespace kongsi::server {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

}  // namespace

milliseconds BackoffDelay(const Backoff& backoff, unsigned failures, double unit_random) {
  // min * 2^failures, saturating long before it could overflow.
  int64_t cap = backoff.min.count();
  for (unsigned i = 0; i < failures && cap < backoff.max.count(); ++i) cap *= 2;
  cap = std::clamp<int64_t>(cap, backoff.min.count(), std::max(backoff.min, backoff.max).count());
  double span = static_cast<double>(cap - backoff.min.count());
  return milliseconds(backoff.min.count() + static_cast<int64_t>(span * std::clamp(unit_random, 0.0, 1.0)));
}

PeerDialer::PeerDialer(PeerEnvironment& env, PeerConfig peer, Backoff backoff)
    : env_(env),
      peer_(std::move(peer)),
      backoff_(backoff),
      strand_(asio::make_strand(env.ioc)),
      timer_(strand_),
      random_(std::random_device{}()) {}

void PeerDialer::Start() {
  asio::post(strand_, [self = shared_from_this()] { self->Dial(); });
}

void PeerDialer::Stop(const std::string& reason) {
  asio::post(strand_, [self = shared_from_this(), reason] {
    self->stopped_ = true;
    self->timer_.cancel();
    if (auto link = self->link_.lock()) link->Shutdown(kCloseGoingAway, reason);
  });
}

void PeerDialer::Dial() {
  if (stopped_) return;
  if (env_.hub.IsConnected(peer_.node_id)) return WaitThenDial(kConnectedRecheckInterval);
  auto address = ParsePeerUrl(peer_.url, "peer url");
  if (!address.ok()) {  // config.cc checked it; keep the dialer alive anyway
    spdlog::error("{}: {}", Tag(), address.status().message());
    return;
  }
  env_.hub.registry().Update(peer_.node_id, [](PeerState& p) {
    p.next_dial_ms = 0;
    p.dialing = true;
  });
  spdlog::debug("{}: dialing", Tag());
  std::weak_ptr<PeerDialer> weak = weak_from_this();
  link_ = DialPeer(env_, DialTarget{peer_.url, *address, peer_.node_id}, [weak](const ConnectionEnd& end) {
    if (auto self = weak.lock()) asio::post(self->strand_, [self, end] { self->OnEnded(end); });
  });
}

void PeerDialer::OnEnded(const ConnectionEnd& end) {
  link_.reset();
  if (stopped_) return;
  env_.hub.registry().Update(peer_.node_id, [](PeerState& p) { p.dialing = false; });
  if (end.superseded) {  // the peer dialled us too, and that link is kept: not a failure
    spdlog::info("{}: the peer's own link is kept; rechecking in {} s", Tag(), kConnectedRecheckInterval.count());
    return WaitThenDial(kConnectedRecheckInterval);
  }
  if (end.hello_received) failures_ = 0;  // the link worked: start the backoff over
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  milliseconds delay = BackoffDelay(backoff_, failures_, unit(random_));
  failures_ = std::min(failures_ + 1, 64u);
  env_.hub.registry().Update(peer_.node_id, [&](PeerState& p) { p.next_dial_ms = node::SystemNowMs() + delay.count(); });
  if (end.hello_received) {
    spdlog::info("{}: link ended ({}); reconnecting in {} ms", Tag(), end.error, delay.count());
  } else {
    spdlog::warn("{}: dial failed ({}); next try in {} ms", Tag(), end.error, delay.count());
  }
  WaitThenDial(delay);
}

void PeerDialer::WaitThenDial(milliseconds delay) {
  timer_.expires_after(delay);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->Dial();
  });
}

std::string PeerDialer::Tag() const {
  return "[" + ShortId(env_.hub.self_id()) + "] dialer of " + ShortId(peer_.node_id) + " (" + peer_.url + ")";
}

}  // namespace kongsi::server
