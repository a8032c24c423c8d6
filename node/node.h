// A Kongsi node: one organisation's store of collections. Owns the RocksDB
// database, the node identity and the in-memory caches (version vectors,
// ACLs, schemas) of every collection. Every commit, local or from a peer,
// goes through the same pipeline (DESIGN §7): decode -> signature ->
// dedupe/equivocation -> deps (else pending) -> ACL -> schema -> apply in one
// WriteBatch (log + materialized state + VV). A commit that passes those
// checks but is judged invalid (DESIGN §6: e.g. cut by a revocation, see
// node/validity.h) is stored marked invalid and changes no state; a later
// ACL op can change verdicts, and the state follows (node/invalidation.h).
//
// Thread-safety: all methods may be called from any thread. Writes are
// serialised by one mutex; reads go to RocksDB directly.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kongsi/v1/commit.pb.h"
#include "kongsi/v1/state.pb.h"
#include "node/acl.h"
#include "node/hlc.h"
#include "node/identity.h"
#include "node/version_vector.h"
#include "storage/db.h"

namespace kongsi::node {

// Named limits (documented in docs/LIMITS.md).
inline constexpr size_t kMaxPendingCommits = 4096;     // per collection
inline constexpr size_t kMaxCommitBytes = 8u << 20;    // one signed commit
// An import chain's split. Every commit is applied as one decoded message
// and one WriteBatch, so the receiver's (and the importer's) transient
// memory is proportional to it: 2,500 rather than 10,000 took a node's peak
// RSS in a 1M-row initial sync from 257 to 145 MB at the same rate
// (bench figure 6; per-commit costs, a signature and a write, stay small).
inline constexpr size_t kChainOpsPerCommit = 2500;
inline constexpr size_t kChainBytesPerCommit = 4u << 20;

struct AppliedCommit {
  std::string collection;
  std::string author;
  uint64_t seq = 0;
  uint64_t hlc = 0;
  uint64_t local_seq = 0;
  std::string signed_bytes;
  bool valid = true;
  size_t op_count = 0;
};

// kInvalid: stored and forwarded like an applied commit, but judged invalid
// (DESIGN §6: e.g. cut by a revocation), so it changes no state.
enum class ReceiveStatus { kApplied, kDuplicate, kPending, kRejected, kEquivocation, kInvalid };
const char* ReceiveStatusName(ReceiveStatus s);

struct ReceiveOutcome {
  ReceiveStatus status = ReceiveStatus::kRejected;
  std::string reason;                   // why rejected / pending
  std::string author;                   // of the commit, when it decoded
  uint64_t seq = 0;
  std::vector<AppliedCommit> applied;   // this commit and any pending it released
};

// Per-collection state kept in memory; rebuilt from RocksDB at open.
struct CollectionCache {
  v1::CollectionInfo info;
  VersionVector vv;
  Acl acl;
  std::map<std::string, v1::DatasetInfo> datasets;
  std::map<std::string, uint64_t> last_hlc;  // author -> hlc of its latest commit
  uint64_t next_local_seq = 1;
  size_t pending = 0;
};

struct NodeCounters {
  uint64_t commits_applied = 0;
  uint64_t commits_rejected = 0;
  uint64_t commits_duplicate = 0;
  uint64_t commits_pending = 0;
  uint64_t equivocations = 0;
  uint64_t commits_invalid = 0;  // stored invalid on arrival (also counted as applied)
};

class Node {
 public:
  using CommitListener = std::function<void(const AppliedCommit&)>;

  // Opens an initialised data dir (see Init). Rolls forward an import that
  // was staged whole before a crash; discards one that was not.
  static Result<std::unique_ptr<Node>> Open(const std::string& data_dir);
  // Creates the data dir, the key pair and the database.
  static Result<std::unique_ptr<Node>> Init(const std::string& data_dir, const std::string& name);
  ~Node();

  const Identity& identity() const { return *identity_; }
  const std::string& data_dir() const { return data_dir_; }
  storage::Db& db() { return *db_; }
  const storage::Db& db() const { return *db_; }

  // ---- collections ----
  Result<std::string> CreateCollection(const std::string& name, const std::string& description);
  std::vector<v1::CollectionInfo> ListCollections() const;
  // By exact ID (hex), unique ID prefix (>= 6 hex chars) or unique name.
  Result<std::string> ResolveCollection(const std::string& name_or_id) const;
  Result<CollectionCache> Collection(const std::string& coll) const;  // a copy
  Result<v1::DatasetInfo> Dataset(const std::string& coll, const std::string& name) const;
  // Marks a collection this node was invited to as joined (or not).
  Status SetJoined(const std::string& coll, bool joined);

  // ---- invitations: nothing arrives unasked ----
  // A peer announced `coll`, which we do not hold: remember it as an
  // invitation (no-op if held or already invited).
  Status RecordInvite(const std::string& coll, const std::string& name, const std::string& from_node_id);
  // Invitations not yet joined, oldest first.
  std::vector<v1::Invite> Invites() const;
  // Accepts the invitation to `name_or_id` (full hex ID, unique hex prefix of
  // >= 6 chars, or the unique name of an invitation): from now on the node
  // asks peers that announce it for its commits.
  Result<std::string> Join(const std::string& name_or_id);
  // Joined, but the genesis has not arrived yet.
  bool Wants(const std::string& coll) const;
  bool Holds(const std::string& coll) const;

  // ---- writes ----
  // Signs and applies one commit of `ops` by this node. Checked exactly as a
  // peer's commit would be; nothing changes on error.
  Result<AppliedCommit> CommitOps(const std::string& coll, std::vector<v1::Op> ops,
                                  const std::string& note);
  // Builds the next commit of this node in `coll` without applying it:
  // `base` gives the deps and seq to build on (chains build on their own
  // previous commit). Used by imports that stage a chain first.
  v1::SignedCommit BuildCommit(const std::string& coll, const VersionVector& base,
                               std::vector<v1::Op> ops, const std::string& note,
                               uint64_t* hlc_out = nullptr);
  // The same for a commit that holds its ops already (built in place, on an
  // arena, by the importer): fills in the rest of `*c` and signs it.
  v1::SignedCommit SealCommit(const std::string& coll, const VersionVector& base,
                              const std::string& note, v1::Commit* c, uint64_t* hlc_out = nullptr);
  // Applies a staged chain written to the staging family under `import_id`,
  // in order; each commit is one WriteBatch that also deletes its staged copy.
  Result<std::vector<AppliedCommit>> ApplyStaged(const std::string& import_id);
  Status DiscardStaged(const std::string& import_id);
  // Adds to `batch` whether a chain may be staged (keys::kStagingInUse): an
  // import sets it with its first staged write.
  static void MarkStaging(storage::WriteBatch* batch, bool in_use);

  // A commit from a peer (or a replayed one). Never throws; never applies
  // part of a commit.
  ReceiveOutcome Receive(std::string_view signed_bytes);
  // The same, refusing a commit of any collection but `expect_collection`
  // (a peer streams one collection per Commits frame).
  ReceiveOutcome Receive(std::string_view signed_bytes, std::string_view expect_collection);

  // Held by anything that builds commits of this node (CommitOps takes it
  // itself): seqs and deps of local commits are then never raced.
  std::unique_lock<std::mutex> LockLocalWrites() { return std::unique_lock(local_write_mu_); }

  // Called after every applied commit (local or remote), outside the lock.
  void AddCommitListener(CommitListener listener);

  // ---- reads ----
  VersionVector Version(const std::string& coll) const;
  NodeCounters counters() const;
  std::vector<std::string> Alarms() const;  // equivocations and the like
  Result<v1::StoredCommit> GetCommit(const std::string& coll, const std::string& author,
                                     uint64_t seq) const;
  // Commits applied after local change position `after`, in apply order
  // (which is causal). Stops when `fn` returns false.
  Status ForEachChange(const std::string& coll, uint64_t after,
                       const std::function<bool(uint64_t local_seq, const v1::StoredCommit&)>& fn) const;
  // The same without reading the commits: (position, author, seq) only.
  Status ForEachChangeEntry(const std::string& coll, uint64_t after,
                            const std::function<bool(uint64_t local_seq, const std::string& author,
                                                     uint64_t seq)>& fn) const;
  // Current role of `node_id` (raw) in `coll`; ROLE_NONE if not held.
  v1::Role CurrentRole(const std::string& coll, const std::string& node_id) const;

  // ---- permissions (DESIGN §6) ----
  // Every Grant and Revoke of `coll` (and its genesis) in causal order, with
  // author, hlc and verdict (valid, or why not).
  Result<std::vector<AclLogEntry>> AclLog(const std::string& coll) const;
  // Every org the valid ACL ops name, with its role (ROLE_NONE: revoked) and
  // the op that decided it (who granted, when).
  Result<std::vector<Member>> Members(const std::string& coll) const;

 private:
  Node() = default;
  friend class CommitApplier;
  Status LoadCaches();
  Status RecoverStaging();
  // Caller holds mu_.
  ReceiveOutcome ReceiveLocked(std::string_view signed_bytes, bool from_pending,
                               std::string_view expect_collection = {});
  void ReleasePendingLocked(const std::string& coll, ReceiveOutcome* outcome);
  void Notify(const std::vector<AppliedCommit>& applied);

  std::string data_dir_;
  std::optional<Identity> identity_;
  std::unique_ptr<HybridClock> clock_;
  std::unique_ptr<storage::Db> db_;

  std::mutex local_write_mu_;  // taken before mu_, never after
  mutable std::mutex mu_;  // guards everything below and all writes
  std::map<std::string, CollectionCache> collections_;
  NodeCounters counters_;
  std::vector<std::string> alarms_;
  std::vector<CommitListener> listeners_;
};

// The Commit inside a commit this node stored (already verified on receipt).
Result<v1::Commit> DecodeStoredCommit(const v1::StoredCommit& stored);

std::string HexId(std::string_view raw);
Result<std::string> ParseHexId(const std::string& hex, size_t bytes);

}  // namespace kongsi::node
