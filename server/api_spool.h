// Temporary files under <data>/tmp/ for request bodies that the node reads
// as files: CSV uploads (the importer reads its input twice) and Table
// Schemas. Each is deleted when its SpoolFile goes away; files left by a
// crash are removed when the API server starts.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace kongsi::server {

inline constexpr char kSpoolDirName[] = "tmp";
inline constexpr char kSpoolPrefix[] = "upload-";

class SpoolFile {
 public:
  // Creates an empty file <data>/tmp/upload-XXXXXX<suffix>, mode 0600 (the
  // directory too, 0700, when missing).
  static Result<std::unique_ptr<SpoolFile>> Create(const std::string& data_dir,
                                                   std::string_view suffix);
  ~SpoolFile();
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  const std::string& path() const { return path_; }
  // Replaces the contents with `text`.
  Status Write(std::string_view text);

 private:
  explicit SpoolFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// A temporary directory <data>/tmp/upload-XXXXXX (mode 0700) for a Data
// Package: an upload unpacked before import, or an export packed into the
// download. Removed with everything in it when the SpoolDir goes away.
class SpoolDir {
 public:
  static Result<std::unique_ptr<SpoolDir>> Create(const std::string& data_dir);
  // The same under the system's temporary directory (the CLI, which may
  // have no data dir of its own with --node).
  static Result<std::unique_ptr<SpoolDir>> CreateTemp();
  ~SpoolDir();
  SpoolDir(const SpoolDir&) = delete;
  SpoolDir& operator=(const SpoolDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  explicit SpoolDir(std::string path) : path_(std::move(path)) {}
  static Result<std::unique_ptr<SpoolDir>> CreateIn(const std::string& parent,
                                                    const char* prefix);
  std::string path_;
};

// Removes <data>/tmp/upload-* (best effort).
void RemoveStaleSpoolFiles(const std::string& data_dir);

// `message` with every occurrence of `path` replaced by `name`: errors of
// the importer name the file it read, which for an upload is a spool file
// the client never saw.
std::string RenamePathInMessage(std::string message, const std::string& path,
                                const std::string& name);

}  // namespace kongsi::server
