// Small files of the data dir that the daemon and the CLI share
// (config.json, serve.json): read with a size bound, written atomically.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace kongsi::server {

// The whole of `path`. NotFound when it does not exist; InvalidArgument when
// it is larger than `max_bytes` (a wrong path must not read gigabytes); the
// error names `limit_name`, the constant, when given.
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes,
                                  const char* limit_name = nullptr);

// Replaces `path` with `contents`: written to `path`.tmp with `mode`, fsynced
// and renamed into place, so readers see the old file or the new one, never
// half of one, and the file is never more open than `mode`.
Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode);

}  // namespace kongsi::server
