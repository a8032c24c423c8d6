// Read-side queries of one collection: records (current or as of a
// version), record history, diffs between versions, conflicts, the commit
// log, tags and the state digest (DESIGN §4, §5).
//
// A Reader holds a RocksDB snapshot: everything it returns is of one
// consistent moment. Not thread-safe; make one per request.
//
// Invalid commits (DESIGN §6) are in the log and in history, marked, but
// count nowhere else: as-of reads replay valid commits only, and datasets
// whose creating commit is invalid are not listed.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kongsi/v1/state.pb.h"
#include "node/invalidation.h"
#include "node/node.h"

namespace kongsi::node {

struct HistoryEntry {
  v1::Provenance by;
  uint32_t op_index = 0;
  v1::Op op;
  bool valid = true;
  std::string note;
};

struct CellChange {
  std::string field;
  v1::Value before, after;  // null when absent
};

struct RecordDiff {
  std::string dataset;
  enum class Kind { kAdded, kRemoved, kChanged } kind = Kind::kChanged;
  google::protobuf::RepeatedPtrField<v1::Value> key;
  std::vector<CellChange> changes;  // for kChanged (and all cells of kAdded)
};

struct ConflictEntry {
  std::string dataset;
  google::protobuf::RepeatedPtrField<v1::Value> key;
  std::string field;
  v1::Value value;                  // the winning value
  v1::Provenance by;
  std::vector<v1::CellWrite> losers;  // concurrent values that lost
};

struct LogEntry {
  std::string author;
  uint64_t seq = 0;
  uint64_t hlc = 0;
  uint64_t local_seq = 0;
  std::string note;
  size_t op_count = 0;
  bool valid = true;
  std::string invalid_reason;
  std::vector<std::string> op_summary;  // e.g. "Upsert x12", "Grant"
};

// What one author has in a collection (for `kongsi members`).
struct AuthorActivity {
  uint64_t commits = 0;   // held by this node (seqs are contiguous)
  uint64_t invalid = 0;   // of which judged invalid
  uint64_t last_hlc = 0;  // of its latest commit
};

class Reader {
 public:
  Reader(const Node& node, std::string collection);
  ~Reader();

  const std::string& collection() const { return coll_; }
  // The collection as of the snapshot, datasets of invalid commits left out.
  const CollectionCache& cache() const { return cache_; }

  // A tag name, or a version vector in text form (see FormatVersion).
  Result<VersionVector> ResolveVersion(const std::string& spec) const;
  // "AUTHORID8:seq,AUTHORID8:seq" with each author's node ID prefix.
  std::string FormatVersion(const VersionVector& vv) const;
  std::string AuthorLabel(const std::string& author_pubkey) const;  // node ID text

  // Records of `dataset` in primary-key order. `as_of` null: current state.
  // Deleted records are skipped unless `include_deleted`.
  Status ScanRecords(const std::string& dataset, const VersionVector* as_of,
                     const std::function<bool(const v1::RecordState&)>& fn,
                     bool include_deleted = false) const;
  Result<std::optional<v1::RecordState>> GetRecord(
      const std::string& dataset, const google::protobuf::RepeatedPtrField<v1::Value>& key,
      const VersionVector* as_of) const;
  // Ops on one record, newest first.
  Result<std::vector<HistoryEntry>> History(
      const std::string& dataset, const google::protobuf::RepeatedPtrField<v1::Value>& key) const;
  Result<std::vector<RecordDiff>> Diff(const VersionVector& from, const VersionVector& to) const;
  Result<std::vector<ConflictEntry>> Conflicts(const std::string& dataset_or_empty) const;
  // Newest first (by local change position); `limit` 0 means all.
  // `invalid_only`: only the commits judged invalid, with their reasons.
  Result<std::vector<LogEntry>> Log(size_t limit, bool invalid_only = false) const;
  std::vector<v1::TagInfo> Tags() const;
  // Every author with a commit held, by public key.
  Result<std::map<std::string, AuthorActivity>> Activity() const;
  // SHA-256 (hex) over a canonical encoding of the materialized state:
  // collection, schemas, records with cells, provenance and conflicts, ACL,
  // tags, and which commits are invalid. Node-local things (change
  // positions, peers, tokens, reasons' wording) are left out.
  Result<std::string> Digest() const;

 private:
  Result<v1::RecordState> Replay(const std::string& record_key, const VersionVector& as_of) const;
  Result<LogEntry> LogEntryOf(const std::string& author, uint64_t seq) const;

  const Node& node_;
  std::string coll_;
  CollectionCache cache_;
  std::unique_ptr<storage::Snapshot> snapshot_;
  mutable std::unique_ptr<CommitFacts> facts_;
};

}  // namespace kongsi::node
