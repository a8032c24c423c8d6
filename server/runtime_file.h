// <data>/serve.json: how to reach the running daemon. Written by `kongsi
// serve` once its listeners are bound (so a port of 0 shows the real port),
// mode 0600 because it holds the API token; removed on clean exit. A stale
// file (the daemon was killed) names a pid that no longer runs.
#pragma once

#include <cstdint>
#include <string>

#include "storage/status.h"

namespace kongsi::server {

inline constexpr char kRuntimeFileName[] = "serve.json";
inline constexpr size_t kMaxRuntimeFileBytes = 64 * 1024;

struct RuntimeInfo {
  int64_t pid = 0;
  std::string node_id;    // text form
  std::string peer_url;   // wss://127.0.0.1:PORT/v1/sync
  std::string api_url;    // http://127.0.0.1:PORT (filled by the local API)
  std::string api_token;  // a token for local tools (filled by the local API)
};

std::string RuntimeFilePath(const std::string& data_dir);
Status WriteRuntimeFile(const std::string& data_dir, const RuntimeInfo& info);
// NotFound when no daemon wrote one; InvalidArgument naming the key that is
// wrong otherwise.
Result<RuntimeInfo> ReadRuntimeFile(const std::string& data_dir);
// Best effort: a missing file is fine.
void RemoveRuntimeFile(const std::string& data_dir);

}  // namespace kongsi::server
