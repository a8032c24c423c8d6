#include "server/config.h"

#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <set>

#include "node/identity.h"
#include "server/data_file.h"

namespace kongsi::server {
namespace {

namespace json = boost::json;

// "line L, column C" of byte offset `pos` in `text`.
std::string Where(std::string_view text, size_t pos) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

std::string Quote(std::string_view s) { return json::serialize(json::string(s)); }

bool ValidHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

Status CheckName(const std::string& name, const std::string& what) {
  if (name.size() > node::kMaxNameBytes) {
    return Status::InvalidArgument(what + ": longer than " + std::to_string(node::kMaxNameBytes) + " bytes");
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument(what + ": contains a control character");
    }
  }
  return Status::Ok();
}

// The checks AddPeer and ParseConfig share: one peer entry, `what` naming
// it, against the peers already in `config`.
Result<PeerConfig> CheckPeer(const Config& config, const std::string& url, const std::string& node_id_text,
                             const std::string& name, bool auto_join, const std::string& what) {
  auto address = ParsePeerUrl(url, what + ".url");
  if (!address.ok()) return address.status();
  auto node_id = node::ParseNodeId(node_id_text);
  if (!node_id.ok()) return node_id.status().WithContext(what + ".node_id");
  KONGSI_RETURN_IF_ERROR(CheckName(name, what + ".name"));
  for (const auto& p : config.peers) {
    if (p.node_id == *node_id) {
      return Status::AlreadyExists(what + ": node " + node::NodeIdText(*node_id) + " is already a peer");
    }
    if (!name.empty() && p.name == name) {
      return Status::AlreadyExists(what + ": a peer is already named " + Quote(name));
    }
  }
  if (config.peers.size() >= kMaxConfiguredPeers) {
    return Status::ResourceExhausted(what + ": more than " + std::to_string(kMaxConfiguredPeers) +
                                     " peers, the limit (kMaxConfiguredPeers)");
  }
  return PeerConfig{url, std::move(node_id).value(), name, auto_join};
}

// Typed field readers: each error names the key.
Status GetString(const json::value& v, const std::string& what, std::string* out) {
  if (!v.is_string()) return Status::InvalidArgument(what + ": expected a string");
  *out = std::string(v.get_string());
  return Status::Ok();
}

Status GetBool(const json::value& v, const std::string& what, bool* out) {
  if (!v.is_bool()) return Status::InvalidArgument(what + ": expected true or false");
  *out = v.get_bool();
  return Status::Ok();
}

Status GetMs(const json::value& v, const std::string& what, uint32_t* out) {
  const std::string range = std::to_string(kMinReconnectMs) + ".." + std::to_string(kMaxReconnectMs);
  if (!v.is_int64() && !v.is_uint64()) {
    return Status::InvalidArgument(what + ": expected an integer number of milliseconds in " + range);
  }
  if (!v.is_int64() || v.get_int64() < kMinReconnectMs || v.get_int64() > kMaxReconnectMs) {
    return Status::InvalidArgument(what + ": " + json::serialize(v) + " is outside " + range);
  }
  *out = static_cast<uint32_t>(v.get_int64());
  return Status::Ok();
}

Status ParsePeer(const json::value& v, const std::string& what, Config* config) {
  if (!v.is_object()) return Status::InvalidArgument(what + ": expected an object");
  std::string url, node_id, name;
  bool auto_join = false, has_url = false, has_id = false;
  for (const auto& [key, value] : v.get_object()) {
    const std::string field = what + "." + std::string(key);
    if (key == "url") {
      has_url = true;
      KONGSI_RETURN_IF_ERROR(GetString(value, field, &url));
    } else if (key == "node_id") {
      has_id = true;
      KONGSI_RETURN_IF_ERROR(GetString(value, field, &node_id));
    } else if (key == "name") {
      KONGSI_RETURN_IF_ERROR(GetString(value, field, &name));
    } else if (key == "auto_join") {
      KONGSI_RETURN_IF_ERROR(GetBool(value, field, &auto_join));
    } else {
      return Status::InvalidArgument(what + ": unknown key " + Quote(key) +
                                     " (known: url, node_id, name, auto_join)");
    }
  }
  if (!has_url) return Status::InvalidArgument(what + ": missing \"url\"");
  if (!has_id) return Status::InvalidArgument(what + ": missing \"node_id\"");
  auto peer = CheckPeer(*config, url, node_id, name, auto_join, what);
  if (!peer.ok()) return peer.status();
  config->peers.push_back(std::move(peer).value());
  return Status::Ok();
}

Status ParseFields(const json::object& root, Config* config) {
  for (const auto& [key, value] : root) {
    const std::string what = Quote(key);
    if (key == "peer_listen" || key == "api_listen") {
      std::string* out = key == "peer_listen" ? &config->peer_listen : &config->api_listen;
      KONGSI_RETURN_IF_ERROR(GetString(value, what, out));
      auto parsed = ParseHostPort(*out, what, /*allow_port_zero=*/true);
      if (!parsed.ok()) return parsed.status();
    } else if (key == "peers") {
      if (!value.is_array()) return Status::InvalidArgument(what + ": expected an array");
      const json::array& peers = value.get_array();
      for (size_t i = 0; i < peers.size(); ++i) {
        KONGSI_RETURN_IF_ERROR(ParsePeer(peers[i], "\"peers\"[" + std::to_string(i) + "]", config));
      }
    } else if (key == "reconnect_min_ms") {
      KONGSI_RETURN_IF_ERROR(GetMs(value, what, &config->reconnect_min_ms));
    } else if (key == "reconnect_max_ms") {
      KONGSI_RETURN_IF_ERROR(GetMs(value, what, &config->reconnect_max_ms));
    } else if (key == "ckan_public") {
      KONGSI_RETURN_IF_ERROR(GetBool(value, what, &config->ckan_public));
    } else if (key == "metrics_public") {
      KONGSI_RETURN_IF_ERROR(GetBool(value, what, &config->metrics_public));
    } else {
      return Status::InvalidArgument("unknown key " + what +
                                     " (known: peer_listen, api_listen, peers, reconnect_min_ms, "
                                     "reconnect_max_ms, ckan_public, metrics_public)");
    }
  }
  if (config->reconnect_min_ms > config->reconnect_max_ms) {
    return Status::InvalidArgument("\"reconnect_min_ms\" (" + std::to_string(config->reconnect_min_ms) +
                                   ") is greater than \"reconnect_max_ms\" (" +
                                   std::to_string(config->reconnect_max_ms) + ")");
  }
  return Status::Ok();
}

}  // namespace

Result<HostPort> ParseHostPort(std::string_view text, const std::string& what, bool allow_port_zero) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(what + ": " + Quote(text) + " is not HOST:PORT (" + why + ")");
  };
  HostPort out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("no ']' after the IPv6 address");
    out.host = std::string(text.substr(1, close - 1));
    if (close + 1 >= text.size() || text[close + 1] != ':') return bad("no ':PORT' after ']'");
    port_text = text.substr(close + 2);
    for (char c : out.host) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return bad("bad character in the IPv6 address");
      }
    }
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("no ':PORT'");
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    for (char c : out.host) {
      if (!ValidHostChar(c)) return bad("bad character in the host; IPv6 addresses go in [brackets]");
    }
  }
  if (out.host.empty()) return bad("empty host");
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return bad("the port is not a number in 0..65535");
  }
  if (port == 0 && !allow_port_zero) return bad("port 0");
  out.port = static_cast<uint16_t>(port);
  return out;
}

Result<HostPort> ParsePeerUrl(std::string_view url, const std::string& what) {
  constexpr std::string_view kScheme = "wss://";
  const std::string form = " is not of the form wss://HOST:PORT/v1/sync";
  if (url.substr(0, kScheme.size()) != kScheme) return Status::InvalidArgument(what + ": " + Quote(url) + form);
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || rest.substr(slash) != kSyncPath) {
    return Status::InvalidArgument(what + ": " + Quote(url) + form);
  }
  auto address = ParseHostPort(rest.substr(0, slash), what, /*allow_port_zero=*/false);
  if (!address.ok()) return Status::InvalidArgument(what + ": " + Quote(url) + form);
  return address;
}

std::string HostPortText(const HostPort& address) {
  bool v6 = address.host.find(':') != std::string::npos;
  return (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

std::string PeerUrl(const HostPort& address) { return "wss://" + HostPortText(address) + kSyncPath; }

const PeerConfig* Config::FindPeer(const std::string& node_id) const {
  for (const auto& p : peers) {
    if (p.node_id == node_id) return &p;
  }
  return nullptr;
}

std::string ConfigPath(const std::string& data_dir) { return data_dir + "/" + kConfigFileName; }

Result<Config> ParseConfig(std::string_view text, const std::string& origin) {
  json::parser parser;
  json::error_code ec;
  size_t used = parser.write(text.data(), text.size(), ec);
  if (ec) {
    return Status::InvalidArgument(origin + ": not JSON at " + Where(text, used) + ": " + ec.message());
  }
  json::value root = parser.release();
  if (!root.is_object()) return Status::InvalidArgument(origin + ": expected a JSON object");
  Config config;
  Status status = ParseFields(root.get_object(), &config);
  if (!status.ok()) return status.WithContext(origin);
  return config;
}

Result<Config> LoadConfig(const std::string& data_dir) {
  const std::string path = ConfigPath(data_dir);
  auto text = ReadSmallFile(path, kMaxConfigBytes, "kMaxConfigBytes");
  if (text.status().IsNotFound()) return Config{};
  if (!text.ok()) return text.status();
  return ParseConfig(*text, path);
}

std::string ConfigToJson(const Config& config) {
  // Hand-written so the file reads in a fixed, documented order.
  std::string out = "{\n";
  out += "  \"peer_listen\": " + Quote(config.peer_listen) + ",\n";
  out += "  \"api_listen\": " + Quote(config.api_listen) + ",\n";
  out += "  \"peers\": [";
  for (size_t i = 0; i < config.peers.size(); ++i) {
    const PeerConfig& p = config.peers[i];
    out += i == 0 ? "\n" : ",\n";
    out += "    {\"url\": " + Quote(p.url) + ", \"node_id\": " + Quote(node::NodeIdText(p.node_id)) +
           ", \"name\": " + Quote(p.name) + ", \"auto_join\": " + (p.auto_join ? "true" : "false") + "}";
  }
  out += config.peers.empty() ? "],\n" : "\n  ],\n";
  out += "  \"reconnect_min_ms\": " + std::to_string(config.reconnect_min_ms) + ",\n";
  out += "  \"reconnect_max_ms\": " + std::to_string(config.reconnect_max_ms) + ",\n";
  out += std::string("  \"ckan_public\": ") + (config.ckan_public ? "true" : "false") + ",\n";
  out += std::string("  \"metrics_public\": ") + (config.metrics_public ? "true" : "false") + "\n}\n";
  return out;
}

Status SaveConfig(const std::string& data_dir, const Config& config) {
  return WriteFileAtomically(ConfigPath(data_dir), ConfigToJson(config), 0600);
}

Status AddPeer(Config& config, const std::string& url, const std::string& node_id_text, const std::string& name,
               bool auto_join) {
  auto peer = CheckPeer(config, url, node_id_text, name, auto_join, "peer");
  if (!peer.ok()) return peer.status();
  config.peers.push_back(std::move(peer).value());
  return Status::Ok();
}

Result<PeerConfig> RemovePeer(Config& config, const std::string& node_id_or_name) {
  auto id = node::ParseNodeId(node_id_or_name);
  for (auto it = config.peers.begin(); it != config.peers.end(); ++it) {
    if ((id.ok() && it->node_id == *id) || (!it->name.empty() && it->name == node_id_or_name)) {
      PeerConfig removed = *it;
      config.peers.erase(it);
      return removed;
    }
  }
  return Status::NotFound("no configured peer has node ID or name " + Quote(node_id_or_name));
}

}  // namespace kongsi::server
