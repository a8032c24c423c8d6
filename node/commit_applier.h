// The receive pipeline of one commit (DESIGN §7): admission checks, then one
// atomic WriteBatch with the log entry, the materialized records, the VV and
// the ACL/tag/dataset changes. Used by Node with its mutex held.
#pragma once

#include <map>
#include <string>

#include "kongsi/v1/commit.pb.h"
#include "node/invalidation.h"
#include "node/node.h"
#include "node/validity.h"

namespace kongsi::node {

// When a commit's WriteBatch must be on the disk.
enum class Durability {
  // Before Apply returns: this node's own new commits. Once a peer holds
  // one, losing it in a power cut would let this node sign a different
  // commit with the same seq (an equivocation).
  kFsync,
  // In the write-ahead log, flushed by the OS later: commits a peer sent
  // (it sends them again when this node's version vector lacks them) and
  // an import's staged chain (RecoverStaging applies what was lost again,
  // from the same bytes). A process crash loses neither; a power cut loses
  // a suffix of them, never a commit without the ones before it, and the
  // next fsynced write makes all of them durable. Waiting for the disk on
  // each cost a flush per change on the receiver, and one per 2,500 rows in
  // an initial sync or an import (sync 71-78k -> 93k rows/s, bench/README).
  kLog,
};

class CommitApplier {
 public:
  explicit CommitApplier(Node& node, Durability durability = Durability::kFsync)
      : node_(node), durability_(durability) {}

  // `staged_key`, when set, is deleted from the staging family in the same
  // batch (an import's staged chain). Caller holds node.mu_.
  // `expect_collection`, when not empty, refuses commits of any other one.
  // A commit judged invalid (DESIGN §6) is stored, marked invalid, unless
  // `refuse_invalid` (this node's own new commits): then it is rejected.
  ReceiveOutcome Apply(std::string_view signed_bytes, const std::string* staged_key,
                       std::string_view expect_collection = {}, bool refuse_invalid = false);

  // Applies one commit `node` built itself (Node::BuildCommit) and tells
  // its listeners; the caller holds node.LockLocalWrites(), not node.mu_.
  // An import whose chain is one commit uses it: one WriteBatch is atomic
  // already, so the staging area (a second write and fsync) is skipped.
  static Result<AppliedCommit> ApplyOwn(Node& node, std::string_view signed_bytes);

 private:
  struct Admitted;
  Status CheckStructure(const v1::Commit& c) const;
  Status CheckOps(const v1::Commit& c, CollectionCache& scratch) const;
  Status Write(const v1::Commit& c, std::string_view signed_bytes, CollectionCache& scratch,
               const std::string* staged_key, const Verdict& verdict, Revalidation* revalidation,
               AppliedCommit* applied);

  Node& node_;
  Durability durability_;
};

// The collection ID a genesis by `author` with `nonce` must carry.
std::string CollectionIdFor(std::string_view author, std::string_view nonce);

}  // namespace kongsi::node
