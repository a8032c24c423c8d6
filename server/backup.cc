#include "server/backup.h"

#include <sys/stat.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "server/runtime_file.h"

namespace kongsi::server {
namespace {

namespace fs = std::filesystem;

constexpr char kDbDirName[] = "db";

Status FsError(const std::string& what, const std::error_code& ec) {
  return Status::IoError(what + ": " + ec.message());
}

// A new or empty directory; `created` says whether we made it (so a failed
// run removes only what it wrote).
Status PrepareEmptyDir(const fs::path& dir, const char* role, bool* created) {
  std::error_code ec;
  *created = false;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return Status::FailedPrecondition(std::string(role) + " " + dir.string() + " is not a directory");
    }
    if (!fs::is_empty(dir, ec)) {
      return Status::FailedPrecondition(std::string(role) + " " + dir.string() +
                                        " is not empty: give a new or empty directory");
    }
    return Status::Ok();
  }
  if (!fs::create_directories(dir, ec) && ec) return FsError("cannot create " + dir.string(), ec);
  // Holds node.key: nobody else may list or read it.
  fs::permissions(dir, fs::perms::owner_all, ec);
  *created = true;
  return Status::Ok();
}

// Removes what a failed run wrote into `dir`.
void Undo(const fs::path& dir, bool created) {
  std::error_code ec;
  if (created) {
    fs::remove_all(dir, ec);
    return;
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove_all(entry.path(), ec);
}

// Copies one regular file, keeping its permission bits (node.key: 0600).
Status CopyFileKeepingMode(const fs::path& from, const fs::path& to, BackupReport* report) {
  std::error_code ec;
  if (!fs::copy_file(from, to, fs::copy_options::none, ec)) {
    return FsError("cannot copy " + from.string() + " to " + to.string(), ec);
  }
  fs::permissions(to, fs::status(from).permissions(), ec);
  if (ec) return FsError("cannot set the mode of " + to.string(), ec);
  if (report) {
    ++report->files;
    report->bytes += fs::file_size(to, ec);
  }
  return Status::Ok();
}

// Copies the tree under `from` into the existing directory `to`, modes kept.
// `skip` (a top-level name) is left out.
Status CopyTree(const fs::path& from, const fs::path& to, const std::string& skip) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    const fs::path name = entry.path().filename();
    if (name == skip) continue;
    const fs::path dest = to / name;
    if (entry.is_directory(ec) && !entry.is_symlink(ec)) {
      if (!fs::create_directory(dest, entry.path(), ec)) return FsError("cannot create " + dest.string(), ec);
      KONGSI_RETURN_IF_ERROR(CopyTree(entry.path(), dest, ""));
    } else if (entry.is_regular_file(ec) && !entry.is_symlink(ec)) {
      KONGSI_RETURN_IF_ERROR(CopyFileKeepingMode(entry.path(), dest, nullptr));
    } else {
      return Status::FailedPrecondition(entry.path().string() + " is neither a file nor a directory");
    }
  }
  if (ec) return FsError("cannot list " + from.string(), ec);
  return Status::Ok();
}

Status WriteManifest(const fs::path& dir, const node::Node& node, const BackupReport& report) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  boost::json::object doc{{"format", kBackupFormat},
                          {"node_id", node.identity().node_id_text()},
                          {"name", node.identity().name()},
                          {"created_unix", std::chrono::duration_cast<std::chrono::seconds>(now).count()},
                          {"files", report.files},
                          {"bytes", report.bytes}};
  const fs::path path = dir / kBackupManifestName;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << boost::json::serialize(doc) << '\n';
  out.close();
  if (!out) return Status::IoError("cannot write " + path.string());
  ::chmod(path.c_str(), 0600);
  return Status::Ok();
}

// The manifest's node ID; FailedPrecondition when `dir` is not a backup.
Result<std::string> ReadManifest(const fs::path& dir) {
  const fs::path path = dir / kBackupManifestName;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::FailedPrecondition(dir.string() + " is not a Kongsi backup (no " + kBackupManifestName +
                                      "; an interrupted backup has none either)");
  }
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(text.str(), ec);
  const boost::json::object* obj = ec ? nullptr : doc.if_object();
  const boost::json::value* format = obj ? obj->if_contains("format") : nullptr;
  const boost::json::value* node_id = obj ? obj->if_contains("node_id") : nullptr;
  if (!format || !format->is_string() || format->as_string() != kBackupFormat || !node_id ||
      !node_id->is_string()) {
    return Status::FailedPrecondition(path.string() + " is not a manifest of format " + kBackupFormat);
  }
  return std::string(node_id->as_string());
}

Status BackupInto(node::Node& node, const fs::path& dir, BackupReport* report) {
  KONGSI_RETURN_IF_ERROR(node.db().Checkpoint((dir / kDbDirName).string()));
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(dir / kDbDirName, ec)) {
    if (entry.is_regular_file(ec)) {
      ++report->files;
      report->bytes += entry.file_size(ec);
    }
  }
  // Top-level files only: db/ is the checkpoint, tmp/ holds spooled uploads
  // and serve.json describes a process, not the node.
  for (const auto& entry : fs::directory_iterator(node.data_dir(), ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || name == kRuntimeFileName) continue;
    KONGSI_RETURN_IF_ERROR(CopyFileKeepingMode(entry.path(), dir / name, report));
  }
  if (ec) return FsError("cannot list " + node.data_dir(), ec);
  ++report->files;  // the manifest, written last
  return WriteManifest(dir, node, *report);
}

}  // namespace

Result<BackupReport> BackupNode(node::Node& node, const std::string& dir) {
  const fs::path target(dir);
  if (!target.is_absolute()) return Status::InvalidArgument("backup directory " + dir + " is not an absolute path");
  std::error_code ec;
  if (fs::equivalent(target, node.data_dir(), ec)) {
    return Status::InvalidArgument("cannot back up " + node.data_dir() + " into itself");
  }
  bool created = false;
  KONGSI_RETURN_IF_ERROR(PrepareEmptyDir(target, "backup directory", &created));
  BackupReport report;
  report.dir = dir;
  report.node_id = node.identity().node_id_text();
  Status s = BackupInto(node, target, &report);
  if (!s.ok()) {
    Undo(target, created);
    return s;
  }
  return report;
}

Result<std::string> RestoreBackup(const std::string& from, const std::string& to) {
  auto backed_up = ReadManifest(from);
  if (!backed_up.ok()) return backed_up.status();
  const fs::path target = fs::absolute(to);
  std::error_code ec;
  if (fs::exists(target, ec) && (!fs::is_directory(target, ec) || !fs::is_empty(target, ec))) {
    return Status::FailedPrecondition("restore target " + to + " is not empty: give a new or empty directory");
  }
  // Built beside the target, then renamed: `to` is complete or untouched.
  const fs::path staging = target.string() + ".restoring";
  if (fs::exists(staging, ec)) {
    return Status::FailedPrecondition(staging.string() + " exists (left by an interrupted restore?): remove it first");
  }
  bool created = false;
  KONGSI_RETURN_IF_ERROR(PrepareEmptyDir(staging, "staging directory", &created));
  Status s = CopyTree(from, staging, kBackupManifestName);
  std::string node_id;
  if (s.ok()) {
    auto opened = node::Node::Open(staging.string());
    if (!opened.ok()) {
      s = opened.status().WithContext("the restored copy does not open");
    } else {
      node_id = (*opened)->identity().node_id_text();
      if (node_id != *backed_up) {
        s = Status::Corruption("the backup's key is of node " + node_id + " but its manifest names " + *backed_up);
      }
    }
  }
  if (s.ok() && fs::exists(target, ec)) fs::remove(target, ec);  // empty: checked above
  if (s.ok()) {
    fs::rename(staging, target, ec);
    if (ec) s = FsError("cannot rename " + staging.string() + " to " + target.string(), ec);
  }
  if (!s.ok()) {
    Undo(staging, true);
    return s;
  }
  return node_id;
}

}  // namespace kongsi::server
