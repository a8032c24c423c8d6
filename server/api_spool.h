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

// Removes <data>/tmp/upload-* (best effort).
void RemoveStaleSpoolFiles(const std::string& data_dir);

// `message` with every occurrence of `path` replaced by `name`: errors of
// the importer name the file it read, which for an upload is a spool file
// the client never saw.
std::string RenamePathInMessage(std::string message, const std::string& path,
                                const std::string& name);

}  // namespace kongsi::server
