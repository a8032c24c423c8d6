// Data Packages through the API for the CLI (`publish`, `export --format
// datapackage`, `pull`): a package folder packed into the tar the
// datapackage route takes, and the tar it answers unpacked into a folder.
// The same calls go to a running node or, in-process, to the same handler
// (server/cli_client.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/api_spool.h"
#include "server/cli_commands.h"
#include "server/cli_progress.h"
#include "storage/status.h"

namespace kongsi::server {

// True for what `kongsi publish` reads as a package: a folder, or a .json
// file (datapackage.json).
bool IsPackagePath(const std::string& path);

struct PackedPackage {
  std::unique_ptr<SpoolDir> dir;  // holds the tar; removed with it
  std::string tar_path;
  std::string descriptor_path;  // as the user named it
  uint64_t data_bytes = 0;      // of the data files packed
};

// Packs the descriptor (as "datapackage.json") and every file its resources
// name — `path` and a `schema` given as a path — that is in the package
// folder. Names that are not inside the folder, URLs and missing files are
// left out: the node then reports them (as errors or skipped resources)
// exactly as for a package it reads itself. A descriptor that is not JSON
// is packed alone, for the node to say where it breaks.
Result<PackedPackage> PackPackage(const std::string& path);

struct PackageDownload {
  std::string collection;  // as the user named it
  bool provenance = false;
  std::string as_of;
};

// GET /v1/collections/C/datapackage into a temporary tar, then unpacked
// into `out_dir` (created). Returns the files written, relative to out_dir.
Result<std::vector<std::string>> DownloadPackage(CliContext& ctx, const PackageDownload& what,
                                                 const std::string& out_dir, Progress* progress);

}  // namespace kongsi::server
