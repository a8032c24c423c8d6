// What the running node knows about its peers right now: configured or not,
// connected or not, last seen, and how far behind each is per collection.
// Written by the peer transport (connection strands), read by the local API,
// `peer list`, /metrics and tests. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "node/sync_session.h"

namespace kongsi::server {

struct PeerState {
  std::string node_id;        // raw 32-byte node ID
  std::string name;           // from config, else from the peer's Hello
  std::string url;            // wss://… when we dial it; empty for inbound only
  bool configured = false;    // listed in config.json
  bool connected = false;
  bool inbound = false;       // the peer dialled us
  bool dialing = false;       // our dial is under way (TCP, TLS, Hello not yet done)
  uint64_t last_seen_ms = 0;  // last frame received (0: never)
  uint64_t connects = 0;      // successful handshakes so far
  std::string last_error;     // last close reason / dial failure
  uint64_t next_dial_ms = 0;  // when the dialer tries again (0: not waiting)
  node::SyncStats stats;      // of the current (or last) session
  // Collection (raw 16-byte id) -> commits the peer lacks, as far as we know.
  std::map<std::string, uint64_t> behind;
  // Collection -> commits the peer holds that we lack (initial sync to go).
  std::map<std::string, uint64_t> ahead;
};

class PeerRegistry {
 public:
  // Replaces (or adds) the entry of `state.node_id`.
  void Put(const PeerState& state) {
    std::lock_guard lock(mu_);
    peers_[state.node_id] = state;
  }
  // Applies `fn` to the entry of `node_id` (created empty if absent).
  template <typename Fn>
  void Update(const std::string& node_id, Fn&& fn) {
    std::lock_guard lock(mu_);
    PeerState& p = peers_[node_id];
    p.node_id = node_id;
    fn(p);
  }
  void Remove(const std::string& node_id) {
    std::lock_guard lock(mu_);
    peers_.erase(node_id);
  }
  std::vector<PeerState> Snapshot() const {
    std::lock_guard lock(mu_);
    std::vector<PeerState> out;
    out.reserve(peers_.size());
    for (const auto& [id, p] : peers_) out.push_back(p);
    return out;
  }
  size_t ConnectedCount() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [id, p] : peers_) n += p.connected ? 1 : 0;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, PeerState> peers_;
};

}  // namespace kongsi::server
