// What the last publish of a dataset read, so that publishing the same file
// again into an unchanged collection can skip the row-by-row compare: it
// would find nothing to change. Like git's index or rsync's quick check,
// but on content (a SHA-256 of the file's bytes), not on size and mtime.
//
// The mark holds the collection's version vector after that publish; any
// commit since (ours, a peer's, an ACL change) moves the vector and the
// next publish compares every row again. Marks are node-local (the meta
// family) and never replicated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "node/version_vector.h"
#include "storage/db.h"

namespace kongsi::node {

struct PublishOptions;

struct PublishMark {
  std::string fingerprint;  // PublishFingerprint of the file and options
  VersionVector version;    // the collection's version after the publish
  uint64_t rows_read = 0;
  uint64_t blank_rows_skipped = 0;
};

// SHA-256 over the file's bytes and everything in `o` that shapes how its
// rows are read (delimiter, encoding, key columns, schema).
Result<std::string> PublishFingerprint(const std::string& path, const PublishOptions& o);

std::optional<PublishMark> LastPublish(const storage::Db& db, const std::string& collection,
                                       const std::string& dataset);
Status RecordPublish(storage::Db& db, const std::string& collection, const std::string& dataset,
                     const PublishMark& mark);

}  // namespace kongsi::node
