// Peers of this node:
//   GET    /v1/peers          configured or connected, last seen, commits behind
//   POST   /v1/peers          {"url": "wss://HOST:PORT/v1/sync", "node_id": "...", "name": "...",
//   "auto_join": false} DELETE /v1/peers/{peer}   by node ID or name
// Adding and removing edit <data>/config.json; a running daemon notices the
// change itself (server/daemon.h), so these work the same with or without
// one. Without a daemon nothing is connected.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <mutex>
#include <string>

#include "node/identity.h"
#include "server/api_json.h"
#include "server/api_router.h"
#include "server/config.h"
#include "server/peer_registry.h"

namespace kongsi::server {
namespace {

// config.json is read, changed and written whole: one edit at a time.
std::mutex& ConfigMutex() {
  static std::mutex mu;
  return mu;
}

// [{collection, name, <field>}] of a per-collection value.
template <typename Value>
boost::json::array PerCollection(const ApiContext& ctx, const std::map<std::string, Value>& values,
                                 const char* field) {
  boost::json::array out;
  for (const auto& [coll, value] : values) {
    auto cache = ctx.node.Collection(coll);
    out.push_back(boost::json::object{{"collection", node::HexId(coll)},
                                      {"name", cache.ok() ? cache->info.name() : ""},
                                      {field, value}});
  }
  return out;
}

boost::json::object PeerJson(const ApiContext& ctx, const PeerState& p, bool auto_join) {
  const node::SyncStats& st = p.stats;
  boost::json::object stats{{"frames_in", st.frames_in},
                            {"frames_out", st.frames_out},
                            {"bytes_in", st.bytes_in},
                            {"bytes_out", st.bytes_out},
                            {"commits_sent", st.commits_sent},
                            {"commits_received", st.commits_received},
                            {"commits_applied", st.commits_applied},
                            {"commits_duplicate", st.commits_duplicate},
                            {"commits_pending", st.commits_pending},
                            {"commits_rejected", st.commits_rejected},
                            {"errors_received", st.errors_received},
                            {"last_error_received", st.last_error_received},
                            {"last_error_sent", st.last_error_sent}};
  return boost::json::object{{"node_id", node::NodeIdText(p.node_id)},
                             {"name", p.name},
                             {"url", p.url},
                             {"configured", p.configured},
                             {"auto_join", auto_join},
                             {"connected", p.connected},
                             {"inbound", p.inbound},
                             {"dialing", p.dialing},
                             {"last_seen_ms", p.last_seen_ms},
                             {"connects", p.connects},
                             {"last_error", p.last_error},
                             {"next_dial_ms", p.next_dial_ms},
                             // Of the current (or last) session with the peer.
                             {"stats", std::move(stats)},
                             // Commits the peer lacks / holds and we lack.
                             {"behind", PerCollection(ctx, p.behind, "commits")},
                             {"ahead", PerCollection(ctx, p.ahead, "commits")},
                             // Collections the peer refuses us (we are not a
                             // reader there), with its reason.
                             {"refused", PerCollection(ctx, p.stats.refused, "message")}};
}

PeerState FromConfig(const PeerConfig& c) {
  PeerState p;
  p.node_id = c.node_id;
  p.name = c.name;
  p.url = c.url;
  p.configured = true;
  return p;
}

Result<ApiResponse> ListPeers(const ApiContext& ctx, const ApiRequest&) {
  auto config = LoadConfig(ctx.data_dir);
  if (!config.ok()) return config.status();
  // The file says who is configured now (the daemon may not have noticed
  // an edit yet); the registry says what the links are doing.
  std::map<std::string, PeerState> peers;
  if (ctx.peers != nullptr) {
    for (auto& p : ctx.peers->Snapshot()) {
      p.configured = false;
      peers[p.node_id] = std::move(p);
    }
  }
  for (const auto& c : config->peers) {
    auto it = peers.find(c.node_id);
    if (it == peers.end()) {
      peers[c.node_id] = FromConfig(c);
    } else {
      it->second.configured = true;
      it->second.url = c.url;
      if (!c.name.empty()) it->second.name = c.name;
    }
  }
  boost::json::array out;
  for (const auto& [id, p] : peers) {
    const PeerConfig* c = config->FindPeer(id);
    out.push_back(PeerJson(ctx, p, c != nullptr && c->auto_join));
  }
  return ApiResponse::Json(std::move(out));
}

Result<ApiResponse> AddPeerRoute(const ApiContext& ctx, const ApiRequest& request) {
  auto body = ParseJsonBody(request.body);
  if (!body.ok()) return body.status();
  std::string url, node_id, name;
  bool auto_join = false;
  KONGSI_RETURN_IF_ERROR(BodyString(*body, "url", true, &url));
  KONGSI_RETURN_IF_ERROR(BodyString(*body, "node_id", true, &node_id));
  KONGSI_RETURN_IF_ERROR(BodyString(*body, "name", false, &name));
  KONGSI_RETURN_IF_ERROR(BodyBool(*body, "auto_join", &auto_join));
  std::lock_guard lock(ConfigMutex());
  auto config = LoadConfig(ctx.data_dir);
  if (!config.ok()) return config.status();
  KONGSI_RETURN_IF_ERROR(AddPeer(*config, url, node_id, name, auto_join));
  KONGSI_RETURN_IF_ERROR(SaveConfig(ctx.data_dir, *config));
  // A running daemon re-reads the config now and dials the peer at once.
  if (ctx.refresh_sessions) ctx.refresh_sessions();
  return ApiResponse::Json(PeerJson(ctx, FromConfig(config->peers.back()), auto_join), 201);
}

Result<ApiResponse> RemovePeerRoute(const ApiContext& ctx, const ApiRequest& request) {
  std::lock_guard lock(ConfigMutex());
  auto config = LoadConfig(ctx.data_dir);
  if (!config.ok()) return config.status();
  auto removed = RemovePeer(*config, request.param("peer"));
  if (!removed.ok()) return removed.status();
  KONGSI_RETURN_IF_ERROR(SaveConfig(ctx.data_dir, *config));
  if (ctx.refresh_sessions) ctx.refresh_sessions();  // drops the link now
  boost::json::object out = PeerJson(ctx, FromConfig(*removed), removed->auto_join);
  out["configured"] = false;
  out["removed"] = true;
  return ApiResponse::Json(std::move(out));
}

}  // namespace

void AddPeerRoutes(ApiRouter& router) {
  router.Add({"GET", "/v1/peers", ApiRole::kViewer, ApiBody::kNone, ListPeers});
  router.Add({"POST", "/v1/peers", ApiRole::kAdmin, ApiBody::kJson, AddPeerRoute});
  router.Add({"DELETE", "/v1/peers/{peer}", ApiRole::kAdmin, ApiBody::kNone, RemovePeerRoute});
}

}  // namespace kongsi::server
