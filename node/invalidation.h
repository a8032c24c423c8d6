// Keeping the stored state a function of the valid commits when verdicts
// change (DESIGN §6: a commit that becomes invalid stays in the log, marked
// invalid, and the records it touched are recomputed; a commit that becomes
// valid again is counted again).
//
// When an ACL op arrives, JudgeAcl may change the verdicts of ACL ops, and
// with them the verdicts of any commit whose author those ops are about. A
// Revalidation re-judges the stored commits of those authors, and for each
// whose verdict changed rewrites its log entry and recomputes, from the
// record_ops family, every record it touched, and every tag it set.
//
// Node-local indexes kept in the meta family:
//  - "invalid/" | collection | author | seq -> reason: the invalid commits
//    (for `log --invalid` and the state digest);
//  - "tagop/" | collection | name | author | seq | op -> TagInfo: every Tag
//    op, so a tag falls back to the best valid one.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kongsi/v1/state.pb.h"
#include "node/validity.h"
#include "storage/db.h"
#include "storage/status.h"

namespace kongsi::node {

std::string InvalidCommitsPrefix(std::string_view coll);
std::string InvalidCommitKey(std::string_view coll, std::string_view author, uint64_t seq);
std::string TagOpKey(std::string_view coll, std::string_view name, std::string_view author,
                     uint64_t seq, uint32_t index);

// Records `verdict` on `stored` and in the invalid-commit index.
void PutVerdict(storage::WriteBatch* batch, std::string_view coll, std::string_view author,
                uint64_t seq, const Verdict& verdict, v1::StoredCommit* stored);

// The deps and stored verdict of commits, read once each (up to a bound).
// A pointer Get returns is good until the next Get.
class CommitFacts {
 public:
  struct Facts {
    VersionVector deps;
    bool valid = true;
  };
  CommitFacts(const storage::Db& db, std::string coll, const storage::Snapshot* snapshot = nullptr)
      : db_(db), coll_(std::move(coll)), snapshot_(snapshot) {}
  Result<const Facts*> Get(const std::string& author, uint64_t seq);
  // Whether the commit is valid, from the index of invalid commits
  // (PutVerdict) rather than the commit: every Reader asks it of the
  // dataset creator's commit, often a 2 MB import commit, and fetching and
  // parsing that was a third of a one-row publish. Valid when not stored.
  Result<bool> Valid(const std::string& author, uint64_t seq);
  // Replaces the verdict of a commit (one changed but not yet written).
  void SetValid(const std::string& author, uint64_t seq, bool valid) {
    overlay_[{author, seq}] = valid;
  }

 private:
  static constexpr size_t kMaxCachedCommits = 4096;
  const storage::Db& db_;
  std::string coll_;
  const storage::Snapshot* snapshot_;
  std::map<std::pair<std::string, uint64_t>, Facts> cache_;
  std::map<std::pair<std::string, uint64_t>, bool> overlay_;
};

class Revalidation {
 public:
  Revalidation(const storage::Db& db, std::string coll)
      : db_(db), coll_(std::move(coll)), facts_(db, coll_) {}

  // Re-judges under `acl` every stored commit whose author (a public key in
  // `authors`) has its node ID in `orgs`, keeping those whose verdict changed.
  Status Rejudge(const Acl& acl, const VersionVector& authors, const std::set<std::string>& orgs);
  size_t changed() const { return flips_.size(); }
  // Stored verdicts with the changed ones applied.
  CommitFacts* facts() { return &facts_; }

  // Writes the changed verdicts into `batch`, and puts into `records` the
  // recomputed state of every record the changed commits touched. Returns
  // the names of the tags they set (to recompute with RecomputeTag).
  Result<std::set<std::string>> Write(storage::WriteBatch* batch,
                                      std::map<std::string, v1::RecordState>* records);

 private:
  struct Flip {
    std::string author;
    uint64_t seq = 0;
    Verdict verdict;
    v1::StoredCommit stored;
    std::vector<std::string> record_keys;
    std::vector<std::string> tags;
  };
  const storage::Db& db_;
  std::string coll_;
  CommitFacts facts_;
  std::vector<Flip> flips_;
};

// Sets tag `name` to its greatest-stamped valid Tag op, counting `extra`
// (valid Tag ops not yet written), or removes it when there is none.
Status RecomputeTag(const storage::Db& db, std::string_view coll, const std::string& name,
                    const std::vector<v1::TagInfo>& extra, CommitFacts* facts,
                    storage::WriteBatch* batch);

}  // namespace kongsi::node
