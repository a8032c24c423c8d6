#include "server/peer_hub.h"

#include "node/identity.h"

namespace kongsi::server {

std::string ShortId(const std::string& raw_node_id) {
  return node::NodeIdText(raw_node_id).substr(0, 8);
}

PeerHub::PeerHub(node::Node& node, PeerRegistry& registry)
    : node_(node), registry_(registry), self_id_(node.identity().node_id()) {}

void PeerHub::ListenForCommits() {
  node_.AddCommitListener([weak = weak_from_this()](const node::AppliedCommit& commit) {
    if (auto hub = weak.lock()) hub->OnCommit(commit);
  });
}

void PeerHub::OnCommit(const node::AppliedCommit& commit) {
  std::lock_guard lock(mu_);
  // Posting under the lock: once Stop has run, nothing more is posted to
  // the connections' strands, whose thread pool is about to be joined.
  if (stopped_) return;
  for (const auto& [peer, entry] : links_) {
    if (auto link = entry.link.lock()) link->NotifyCommit(commit.collection);
  }
}

void PeerHub::SetConfiguredPeers(const std::vector<PeerConfig>& peers) {
  std::lock_guard lock(mu_);
  configured_.clear();
  for (const auto& p : peers) configured_[p.node_id] = p;
}

std::optional<PeerConfig> PeerHub::ConfiguredPeer(const std::string& peer_id) const {
  std::lock_guard lock(mu_);
  auto it = configured_.find(peer_id);
  if (it == configured_.end()) return std::nullopt;
  return it->second;
}

Status PeerHub::MayConnect(const std::string& peer_id) const {
  if (peer_id == self_id_) return Status::PermissionDenied("a node does not sync with itself");
  if (ConfiguredPeer(peer_id)) return Status::Ok();
  for (const auto& info : node_.ListCollections()) {
    if (node_.CurrentRole(info.id(), peer_id) >= v1::ROLE_READER) return Status::Ok();
  }
  return Status::PermissionDenied("unknown node ID " + node::NodeIdText(peer_id).substr(0, 16) +
                                  "...: not a configured peer nor a member of a shared collection");
}

Status PeerHub::Register(const std::shared_ptr<PeerLink>& link, const std::string& peer_id, bool inbound) {
  std::shared_ptr<PeerLink> loser;
  const std::string kept_dialler = inbound ? peer_id : self_id_;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return Status::FailedPrecondition("node shutting down");
    Entry fresh{link, inbound};
    auto it = links_.find(peer_id);
    if (it != links_.end()) {
      std::shared_ptr<PeerLink> old = it->second.link.lock();
      if (old && DialledBy(it->second, peer_id) < DialledBy(fresh, peer_id)) {
        return Status::AlreadyExists("duplicate connection: keeping the one dialled by node " +
                                     ShortId(DialledBy(it->second, peer_id)) + " (kMaxLinksPerPeer)");
      }
      loser = std::move(old);
    }
    links_[peer_id] = fresh;
    registry_.Update(peer_id, [&](PeerState& p) {
      p.connected = true;
      p.inbound = inbound;
      ++p.connects;
      p.next_dial_ms = 0;
      if (!inbound) p.dialing = false;  // this is our dial, done
    });
  }
  if (loser) {
    loser->Shutdown(node::kCloseNormal,
                    "duplicate connection: keeping the one dialled by node " + ShortId(kept_dialler) +
                        " (kMaxLinksPerPeer)");
  }
  return Status::Ok();
}

bool PeerHub::Unregister(const PeerLink* link, const std::string& peer_id, const std::string& error) {
  std::lock_guard lock(mu_);
  auto it = links_.find(peer_id);
  if (it == links_.end()) return false;
  auto current = it->second.link.lock();
  // An expired entry is this link's own (only the link unregisters itself).
  if (current && current.get() != link) return false;
  links_.erase(it);
  registry_.Update(peer_id, [&](PeerState& p) {
    p.connected = false;
    if (!error.empty()) p.last_error = error;
  });
  return true;
}

bool PeerHub::IsCurrent(const PeerLink* link, const std::string& peer_id) const {
  std::lock_guard lock(mu_);
  auto it = links_.find(peer_id);
  return it != links_.end() && it->second.link.lock().get() == link;
}

bool PeerHub::IsConnected(const std::string& peer_id) const {
  std::lock_guard lock(mu_);
  auto it = links_.find(peer_id);
  return it != links_.end() && !it->second.link.expired();
}

void PeerHub::RefreshAll() {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  for (const auto& [peer, entry] : links_) {
    if (auto link = entry.link.lock()) link->RefreshSession();
  }
}

void PeerHub::ShutdownAll(uint16_t code, const std::string& reason) {
  std::vector<std::shared_ptr<PeerLink>> links;
  {
    std::lock_guard lock(mu_);
    for (const auto& weak : tracked_) {
      if (auto link = weak.lock()) links.push_back(std::move(link));
    }
  }
  for (const auto& link : links) link->Shutdown(code, reason);
}

void PeerHub::Stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
}

void PeerHub::Track(const std::shared_ptr<PeerLink>& link) {
  std::lock_guard lock(mu_);
  std::erase_if(tracked_, [](const std::weak_ptr<PeerLink>& w) { return w.expired(); });
  tracked_.push_back(link);
}

void PeerHub::ConnectionCreated() {
  std::lock_guard lock(count_mu_);
  ++connections_;
}

void PeerHub::ConnectionDestroyed() {
  std::lock_guard lock(count_mu_);
  if (--connections_ == 0) count_cv_.notify_all();
}

bool PeerHub::WaitUntilNoConnections(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(count_mu_);
  return count_cv_.wait_until(lock, deadline, [&] { return connections_ == 0; });
}

}  // namespace kongsi::server
