// The live peer connections of one daemon, by peer node ID. It decides who
// may connect (a configured peer, or a member of a collection we hold), keeps
// at most one connection per peer, fans Node commit events out to every
// connection, and keeps PeerRegistry's connected/last_error fields in step.
//
// Thread-safe: connections call in from their strands, the Node's commit
// listener from whatever thread applied a commit, the daemon from its own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "node/node.h"
#include "server/config.h"
#include "server/peer_registry.h"

namespace kongsi::server {

// Links kept between this node and one peer (docs/LIMITS.md). Structural:
// links_ holds one entry per peer ID, and Register settles any second link.
inline constexpr size_t kMaxLinksPerPeer = 1;

// "ABCDEFGH": the first 8 characters of a node ID's text, for log lines.
std::string ShortId(const std::string& raw_node_id);

// What the hub needs of a live connection. All calls are thread-safe and
// return at once (they post to the connection's strands).
class PeerLink {
 public:
  virtual ~PeerLink() = default;
  virtual void NotifyCommit(const std::string& coll) = 0;
  virtual void RefreshSession() = 0;
  virtual void Shutdown(uint16_t code, std::string reason) = 0;
};

class PeerHub : public std::enable_shared_from_this<PeerHub> {
 public:
  PeerHub(node::Node& node, PeerRegistry& registry);

  // Subscribes to the Node's commits. The listener holds a weak reference,
  // so the hub may die before the Node (which has no way to unsubscribe).
  void ListenForCommits();

  // The peers of the current config.json.
  void SetConfiguredPeers(const std::vector<PeerConfig>& peers);
  // The configured entry of `peer_id`, if any.
  std::optional<PeerConfig> ConfiguredPeer(const std::string& peer_id) const;

  // Ok when `peer_id` may connect; PermissionDenied with the reason (fit for
  // a WebSocket close reason) otherwise.
  Status MayConnect(const std::string& peer_id) const;

  // Makes `link` the connection of `peer_id`. When one already exists, the
  // one dialled by the smaller node ID stays (both ends decide alike, so a
  // pair that dialled each other keeps one link and relays once); on a tie
  // (a reconnect from the same side) the new one stays. An error (its
  // message fit for a close reason) when `link` lost and should close; the
  // old one is shut down when it lost.
  Status Register(const std::shared_ptr<PeerLink>& link, const std::string& peer_id, bool inbound);
  // Forgets `link` if it is the registered connection of `peer_id` (then
  // marks the peer disconnected with `error`). Returns whether it was.
  bool Unregister(const PeerLink* link, const std::string& peer_id, const std::string& error);
  bool IsCurrent(const PeerLink* link, const std::string& peer_id) const;
  bool IsConnected(const std::string& peer_id) const;

  void RefreshAll();
  // Every tracked connection, registered or still in its handshake.
  void ShutdownAll(uint16_t code, const std::string& reason);
  // After Stop, commit events are no longer fanned out.
  void Stop();

  // Every connection object, registered or not, counts from construction to
  // destruction, so shutdown can wait until all of them are gone; Track
  // lets ShutdownAll reach it before it is registered.
  void ConnectionCreated();
  void ConnectionDestroyed();
  void Track(const std::shared_ptr<PeerLink>& link);
  // True when all are gone before `deadline`.
  bool WaitUntilNoConnections(std::chrono::steady_clock::time_point deadline);

  node::Node& node() { return node_; }
  PeerRegistry& registry() { return registry_; }
  const std::string& self_id() const { return self_id_; }

 private:
  struct Entry {
    std::weak_ptr<PeerLink> link;
    bool inbound = false;
  };
  std::string DialledBy(const Entry& e, const std::string& peer_id) const {
    return e.inbound ? peer_id : self_id_;
  }
  void OnCommit(const node::AppliedCommit& commit);

  node::Node& node_;
  PeerRegistry& registry_;
  const std::string self_id_;

  mutable std::mutex mu_;
  bool stopped_ = false;
  std::map<std::string, Entry> links_;
  std::map<std::string, PeerConfig> configured_;
  std::vector<std::weak_ptr<PeerLink>> tracked_;

  std::mutex count_mu_;
  std::condition_variable count_cv_;
  size_t connections_ = 0;
};

}  // namespace kongsi::server
