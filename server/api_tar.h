// Uncompressed POSIX tar archives, the body of Data Package uploads and
// downloads (PUT / GET /v1/collections/{c}/datapackage). Tar because any
// HTTP client can send one without Kongsi: `tar cf - -C DIR . | curl
// --data-binary @- ...`, and a reader of regular files is small enough to
// check in full.
//
// The reader takes what GNU tar, bsdtar and Python's tarfile write by
// default (ustar, GNU long names, pax `path` records) and refuses anything
// that is not a regular file or a directory — links, devices, FIFOs — as
// well as absolute names, names with "..", oversized members and truncated
// archives. Errors name the member.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "storage/status.h"

namespace kongsi::server {

struct TarLimits {
  uint64_t max_member_bytes = 16ull << 30;
  size_t max_members = 100000;
};

// Extracts the archive at `tar_path` into the existing directory `dir`.
// Returns the names of the files written (relative to `dir`, "./"
// removed), in archive order. On error, what was extracted stays in `dir`:
// callers extract into a fresh directory they remove.
// `progress`, if set, is called now and then with the bytes read.
Result<std::vector<std::string>> ExtractTar(const std::string& tar_path, const std::string& dir,
                                            const TarLimits& limits,
                                            const std::function<void(uint64_t bytes)>& progress = {});

// Writes `files` (paths relative to `root`, '/'-separated) as a ustar
// archive. Deterministic: mode 0644, owner 0, mtime 0.
Status WriteTar(const std::string& root, const std::vector<std::string>& files, std::ostream& out);

}  // namespace kongsi::server
