// The daemon's settings: <data>/config.json (documented in docs/CONFIG.md).
// A missing file means the defaults. Loading checks every key and names the
// one that is wrong; unknown keys are errors too, so a typo is never
// silently ignored. `kongsi peer add|remove` edit the file with AddPeer /
// RemovePeer + SaveConfig; a running daemon notices the change by mtime.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace kongsi::server {

inline constexpr char kConfigFileName[] = "config.json";
// A config lists a few peers; anything larger is not ours.
inline constexpr size_t kMaxConfigBytes = 1u << 20;
inline constexpr size_t kMaxConfiguredPeers = 1024;
inline constexpr char kDefaultPeerListen[] = "0.0.0.0:7600";
inline constexpr char kDefaultApiListen[] = "127.0.0.1:7680";
inline constexpr uint32_t kDefaultReconnectMinMs = 500;
inline constexpr uint32_t kDefaultReconnectMaxMs = 30000;
// Backoff bounds accepted in the file: 10 ms .. 1 hour.
inline constexpr uint32_t kMinReconnectMs = 10;
inline constexpr uint32_t kMaxReconnectMs = 3600 * 1000;
inline constexpr char kSyncPath[] = "/v1/sync";

// HOST:PORT, HOST a name, an IPv4 address or a bracketed IPv6 address
// (brackets removed here).
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
// `what` names the input in errors ("--peer-listen", "\"peer_listen\"").
// Port 0 ("any free port") is allowed only when `allow_port_zero`.
Result<HostPort> ParseHostPort(std::string_view text, const std::string& what, bool allow_port_zero);
// wss://HOST:PORT/v1/sync, the only URL form a peer has.
Result<HostPort> ParsePeerUrl(std::string_view url, const std::string& what);
std::string PeerUrl(const HostPort& address);  // the inverse
// HOST:PORT again, IPv6 in brackets (an HTTP Host header).
std::string HostPortText(const HostPort& address);

struct PeerConfig {
  std::string url;      // wss://HOST:PORT/v1/sync
  std::string node_id;  // raw 32 bytes; the certificate must match it
  std::string name;     // display name, may be empty
  bool auto_join = false;  // join every collection this peer invites us to
};

struct Config {
  std::string peer_listen = kDefaultPeerListen;
  std::string api_listen = kDefaultApiListen;
  std::vector<PeerConfig> peers;
  uint32_t reconnect_min_ms = kDefaultReconnectMinMs;
  uint32_t reconnect_max_ms = kDefaultReconnectMaxMs;
  // Serve CKAN's read API (and its downloads) / GET /metrics to requests
  // without a token, as a viewer. Off: a token is needed, as everywhere.
  bool ckan_public = false;
  bool metrics_public = false;

  // The configured peer with this raw node ID, or null.
  const PeerConfig* FindPeer(const std::string& node_id) const;
};

std::string ConfigPath(const std::string& data_dir);

// `origin` names the text in errors (a path).
Result<Config> ParseConfig(std::string_view json, const std::string& origin);
// The defaults when the file does not exist.
Result<Config> LoadConfig(const std::string& data_dir);
// Pretty JSON, stable key order.
std::string ConfigToJson(const Config& config);
// Writes atomically, mode 0600 (peer list and addresses are not for others).
Status SaveConfig(const std::string& data_dir, const Config& config);

// Adds a peer after checking the URL form, the node ID text and the name.
// AlreadyExists when the node ID, or a non-empty name, is already listed.
// Nothing changes on error.
Status AddPeer(Config& config, const std::string& url, const std::string& node_id_text,
               const std::string& name, bool auto_join);
// Removes the peer whose node ID text (any case) or name is `node_id_or_name`.
// NotFound when none is; returns the removed entry.
Result<PeerConfig> RemovePeer(Config& config, const std::string& node_id_or_name);

}  // namespace kongsi::server
