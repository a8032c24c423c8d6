// Key layouts of the column families (see storage/db.h for the families).
// Collection IDs are 16 raw bytes and author keys 32, so fixed-width parts
// are appended raw; variable parts go through the escaped encoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/key_codec.h"

namespace kongsi::node::keys {

inline std::string Collection(std::string_view coll) { return std::string(coll); }

inline std::string Dataset(std::string_view coll, std::string_view dataset) {
  std::string k(coll);
  storage::AppendBytes(&k, dataset);
  return k;
}

inline std::string Commit(std::string_view coll, std::string_view author, uint64_t seq) {
  std::string k(coll);
  k.append(author);
  storage::AppendU64(&k, seq);
  return k;
}

inline std::string Change(std::string_view coll, uint64_t local_seq) {
  std::string k(coll);
  storage::AppendU64(&k, local_seq);
  return k;
}

inline std::string Version(std::string_view coll, std::string_view author) {
  std::string k(coll);
  k.append(author);
  return k;
}

// Record keys: collection | dataset | encoded primary key.
inline std::string RecordPrefix(std::string_view coll, std::string_view dataset) {
  return Dataset(coll, dataset);
}
inline std::string Record(std::string_view coll, std::string_view dataset,
                          std::string_view encoded_key) {
  std::string k = RecordPrefix(coll, dataset);
  k.append(encoded_key);
  return k;
}

// record_ops: record key | 0x00 | author | seq | op index. The 0x00 separator
// cannot start an encoded value (type tags start at 0x01), so one record's ops
// never interleave with another record's.
inline std::string RecordOpsPrefix(std::string_view record_key) {
  std::string k(record_key);
  k.push_back('\0');
  return k;
}
inline std::string RecordOp(std::string_view record_key, std::string_view author, uint64_t seq,
                            uint32_t index) {
  std::string k = RecordOpsPrefix(record_key);
  k.append(author);
  storage::AppendU64(&k, seq);
  storage::AppendU64(&k, index);
  return k;
}
// The author, seq and op index at the end of a record_ops key (author keys
// are 32 bytes, node/identity.h). False if the key is too short to hold them.
[[nodiscard]] inline bool ParseRecordOpSuffix(std::string_view key, std::string* author,
                                              uint64_t* seq, uint64_t* index) {
  constexpr size_t kAuthorBytes = 32;
  if (key.size() < kAuthorBytes + 16) return false;
  key.remove_prefix(key.size() - kAuthorBytes - 16);
  author->assign(key.substr(0, kAuthorBytes));
  key.remove_prefix(kAuthorBytes);
  return storage::ConsumeU64(&key, seq) && storage::ConsumeU64(&key, index);
}

inline std::string AclEntry(std::string_view coll, std::string_view author, uint64_t seq,
                            uint32_t index) {
  std::string k(coll);
  k.append(author);
  storage::AppendU64(&k, seq);
  storage::AppendU64(&k, index);
  return k;
}

// Meta family: "1" from an import's first staged write until its chain is
// applied or discarded, "0" after. While it is "0" a node opens without
// reading the staging family: an applied chain's staged copies stay on disk
// behind tombstones until compacted, and scanning past them cost every
// command ~60 ms after a 1M-row import. Absent (a data dir older than the
// key): the next open scans once.
inline constexpr std::string_view kStagingInUse = "staging_in_use";

// Invitations live in the meta family.
inline constexpr std::string_view kInvitePrefix = "invite/";
inline std::string Invite(std::string_view coll) { return std::string(kInvitePrefix) + std::string(coll); }

inline std::string Tag(std::string_view coll, std::string_view name) {
  return Dataset(coll, name);
}

inline constexpr size_t kCollectionIdBytes = 16;

}  // namespace kongsi::node::keys
