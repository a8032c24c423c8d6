// The replication state machine of one peer connection (DESIGN §7): frames
// in, frames out, no sockets. The server's WebSocket connection owns one
// SyncSession and drives it on its strand; everything here runs on that one
// strand, so the class is not thread-safe (Node is).
//
// Sending side: for each collection the peer may read (its org is at least
// reader in our current ACL) we announce Have{vv}. When the peer's Have
// arrives we stream, from our change log (apply order, hence causal order),
// every commit its VV lacks, in Commits batches of at most kBatchBytes and
// only within the credit the peer granted. The cursor then stays open: new
// commits (ours, or relayed from other peers) flow on as they are applied.
// Nothing is buffered beyond one batch, so a peer that stops reading stops
// granting credit and costs us no memory.
//
// Receiving side: commits are accepted only for collections we asked for
// (announced a Have); each goes through Node::Receive (DESIGN §7 pipeline).
// Rejected commits are reported back as Error frames; the connection goes
// on. A protocol violation (undecodable frame, no Hello first, wrong node ID,
// credit overrun) closes the connection with a reason.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "kongsi/v1/sync.pb.h"
#include "node/node.h"
#include "node/version_vector.h"

namespace kongsi::node {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kMaxFrameBytes = 16u << 20;      // WebSocket message limit
inline constexpr size_t kBatchBytes = 1u << 20;          // Commits payload per frame
inline constexpr uint64_t kInitialCreditBytes = 16u << 20;  // >= kMaxCommitBytes
// Collections one peer may name in Have messages over one session: each
// costs us a PeerView (and, when unknown here, an invitation record).
inline constexpr size_t kMaxPeerCollections = 1024;

// WebSocket close codes the session asks for.
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kClosePolicyViolation = 1008;
inline constexpr uint16_t kCloseTooBig = 1009;
inline constexpr uint16_t kCloseInternalError = 1011;

// What the session needs from its connection.
class SyncTransport {
 public:
  virtual ~SyncTransport() = default;
  // Queues one binary frame (one serialized Envelope).
  virtual void Send(std::string frame) = 0;
  // Closes the connection with a WebSocket close code and reason.
  virtual void Close(uint16_t code, std::string reason) = 0;
};

struct SyncOptions {
  bool auto_join = false;  // join collections this peer invites us to
  std::string local_name;  // our display name, sent in Hello
};

// Per-session counters, read by `peer list`, metrics and tests.
struct SyncStats {
  uint64_t frames_in = 0, frames_out = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
  uint64_t commits_sent = 0;
  uint64_t commits_received = 0;  // every commit in a Commits frame
  uint64_t commits_applied = 0;   // applied here, incl. released pending ones
  uint64_t commits_duplicate = 0;
  uint64_t commits_pending = 0;
  uint64_t commits_rejected = 0;  // incl. those of collections we did not ask for
  uint64_t errors_received = 0;   // Error frames the peer sent us
  std::string last_error_received;
  std::string last_error_sent;
  // Collection -> why the peer sends us nothing of it (its Error
  // CODE_FORBIDDEN: we are not a reader there, e.g. since a Revoke). Only
  // collections we asked for; cleared when its commits flow again.
  std::map<std::string, std::string> refused;
};

class SyncSession {
 public:
  // `peer_id` is the raw 32-byte node ID taken from the peer's TLS
  // certificate: the identity every permission check uses.
  SyncSession(Node& node, std::string peer_id, SyncOptions options, SyncTransport& out);

  // Sends our Hello. Call once, when the connection is up.
  void Start();
  // One frame from the peer.
  void OnFrame(std::string_view frame);
  // A commit was applied in `coll` (any source): stream it on if the peer
  // wants it and may read it (checked now: from the moment a Revoke is
  // applied, the revoked peer gets nothing more).
  void OnCommitApplied(const std::string& coll);
  // Announces collections newly readable by the peer or newly joined here.
  // Call after connecting and now and then (a join made through the API).
  void Refresh();

  bool hello_received() const { return hello_received_; }
  const std::string& peer_id() const { return peer_id_; }
  const std::string& peer_name() const { return peer_name_; }
  const SyncStats& stats() const { return stats_; }
  // Commits of `coll` the peer lacks as far as we know (for `peer list`);
  // nullopt when the peer has not told us its version of `coll`.
  std::optional<uint64_t> Behind(const std::string& coll) const;
  // Commits of `coll` the peer holds and we lack (how far an initial sync
  // has to go); nullopt when the peer has not told us its version of `coll`.
  std::optional<uint64_t> Ahead(const std::string& coll) const;
  // Collections the peer announced a Have for (it holds them and says we
  // may read them), with its version as far as we know.
  std::map<std::string, VersionVector> PeerVersions() const;

 private:
  // What we know of the peer's side of one collection.
  struct PeerView {
    VersionVector vv;        // commits the peer has, as far as we know
    bool subscribed = false; // the peer sent a Have: it wants our commits
    uint64_t cursor = 0;     // our change-log position streamed up to
  };

  void Send(const v1::Envelope& env);
  void Fail(uint16_t code, const std::string& reason);
  void SendError(v1::Error::Code code, const std::string& message, const std::string& coll = {},
                 const std::string& author = {}, uint64_t seq = 0);

  void OnHello(const v1::Hello& hello);
  void OnHave(const v1::Have& have);
  void OnCommits(const v1::Commits& commits, uint64_t payload_bytes);
  void OnCredit(const v1::Credit& credit);
  void OnError(const v1::Error& error);
  void OnPing(const v1::Ping& ping);

  bool PeerMayRead(const std::string& coll) const;
  // Error CODE_FORBIDDEN for `coll`, once until the peer may read it again.
  void TellNotReader(const std::string& coll);
  void Announce(const std::string& coll);
  // Streams one collection's missing commits while credit lasts; true if it
  // sent anything.
  bool PumpCollection(const std::string& coll, PeerView& view);
  void Pump();

  Node& node_;
  std::string peer_id_;
  std::string peer_name_;
  SyncOptions options_;
  SyncTransport& out_;
  bool closed_ = false;
  bool hello_received_ = false;

  uint64_t credit_ = 0;         // bytes of commits we may still send
  uint64_t window_ = 0;         // bytes of commits the peer may still send us
  std::map<std::string, PeerView> views_;  // by collection
  std::set<std::string> announced_;        // collections we sent a Have for
  std::set<std::string> told_not_reader_;  // refused once this session, until it may read again
  SyncStats stats_;
};

}  // namespace kongsi::node
