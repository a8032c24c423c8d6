// `kongsi backup` and `kongsi restore`: a node's data dir copied whole and
// consistently while it may be serving.
//
// A backup directory is itself a data dir plus a manifest: db/ is a RocksDB
// checkpoint of the open database (one consistent point in time, hard links
// where the file system allows them), the top-level files (node.key,
// node.json, config.json) are copied with their modes kept (node.key stays
// 0600), and backup.json is written last — a directory without it is an
// interrupted backup and is not restored. Backing up goes through the node
// that has the database open (POST /v1/backup): the running daemon's, or the
// CLI's own when no daemon serves the data dir, so both are consistent.
#pragma once

#include <string>

#include "node/node.h"
#include "storage/status.h"

namespace kongsi::server {

inline constexpr char kBackupManifestName[] = "backup.json";
inline constexpr char kBackupFormat[] = "kongsi-backup-1";

struct BackupReport {
  std::string dir;
  std::string node_id;
  uint64_t files = 0;  // regular files in the backup, the manifest included
  uint64_t bytes = 0;
};

// Backs `node` up into `dir` (absolute; new or empty, else FailedPrecondition
// and nothing is written). On failure, what was written is removed.
Result<BackupReport> BackupNode(node::Node& node, const std::string& dir);

// Copies the backup in `from` to the data dir `to` (new or empty), checks
// that the copy opens as a node, and returns that node's ID. Refuses a
// directory without a valid manifest. The copy is made beside `to` and
// renamed into place, so `to` is either complete or untouched.
Result<std::string> RestoreBackup(const std::string& from, const std::string& to);

}  // namespace kongsi::server
