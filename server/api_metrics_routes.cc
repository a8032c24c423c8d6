// GET /metrics: the node in Prometheus' text exposition format (version
// 0.0.4): counters of the commit pipeline, peers and their links, pending
// sets, sync lag, database size, tokens and API answers. Viewer role, or
// none when config.json sets "metrics_public" (docs/CONFIG.md).
#include <string>
#include <utility>
#include <vector>

#include "node/identity.h"
#include "server/api_router.h"
#include "server/peer_registry.h"
#include "server/token_store.h"

namespace kongsi::server {
namespace {

using Labels = std::vector<std::pair<const char*, std::string>>;

// Builds the exposition text: one HELP and TYPE per family, then samples.
class Exposition {
 public:
  void Family(const char* name, const char* type, const char* help) {
    text_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void Sample(const char* name, const Labels& labels, uint64_t value) {
    text_ += name;
    if (!labels.empty()) {
      text_ += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i) text_ += ',';
        text_ += std::string(labels[i].first) + "=\"" + Escape(labels[i].second) + '"';
      }
      text_ += '}';
    }
    text_ += " " + std::to_string(value) + "\n";
  }
  // A family of one unlabelled sample.
  void Single(const char* name, const char* type, const char* help, uint64_t value) {
    Family(name, type, help);
    Sample(name, {}, value);
  }
  std::string Take() { return std::move(text_); }

 private:
  // Label values escape backslash, double quote and line feed.
  static std::string Escape(const std::string& value) {
    std::string out;
    for (char c : value) {
      if (c == '\\' || c == '"') out += '\\';
      out += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    return out;
  }
  std::string text_;
};

void NodeMetrics(const ApiContext& ctx, Exposition& out) {
  const node::Node& n = ctx.node;
  out.Family("kongsi_node_info", "gauge", "This node: its ID and name (always 1).");
  out.Sample("kongsi_node_info",
             {{"node_id", n.identity().node_id_text()}, {"name", n.identity().name()}}, 1);
  const node::NodeCounters c = n.counters();
  out.Single("kongsi_commits_applied_total", "counter",
             "Commits applied since the node opened, local and from peers.", c.commits_applied);
  out.Family("kongsi_commits_rejected_total", "counter",
             "Commits refused since the node opened, by reason: refused (failed a check: "
             "decoding, signature, ACL, schema, full pending set) or equivocation.");
  out.Sample("kongsi_commits_rejected_total", {{"reason", "refused"}}, c.commits_rejected);
  out.Sample("kongsi_commits_rejected_total", {{"reason", "equivocation"}}, c.equivocations);
  out.Single("kongsi_commits_invalid_total", "counter",
             "Commits stored but judged invalid on arrival (e.g. cut by a revocation).",
             c.commits_invalid);
  out.Single("kongsi_commits_duplicate_total", "counter",
             "Commits received that were already held.", c.commits_duplicate);
  out.Single("kongsi_commits_pending_total", "counter",
             "Commits that arrived before their dependencies and waited.", c.commits_pending);

  const auto collections = n.ListCollections();
  out.Single("kongsi_collections", "gauge", "Collections held.", collections.size());
  out.Family("kongsi_collection_commits", "gauge", "Commits in the collection's version.");
  for (const auto& info : collections) {
    auto cache = n.Collection(info.id());
    if (cache.ok())
      out.Sample("kongsi_collection_commits",
                 {{"collection", node::HexId(info.id())}, {"name", info.name()}},
                 cache->vv.Total());
  }
  out.Family("kongsi_pending_commits", "gauge",
             "Commits waiting for their dependencies (the pending set).");
  for (const auto& info : collections) {
    auto cache = n.Collection(info.id());
    if (cache.ok())
      out.Sample("kongsi_pending_commits",
                 {{"collection", node::HexId(info.id())}, {"name", info.name()}}, cache->pending);
  }
  out.Single("kongsi_alarms", "gauge", "Alarms raised (equivocations and the like).",
             n.Alarms().size());
  out.Single("kongsi_rocksdb_size_bytes", "gauge",
             "Database size: SST files plus memtables of every column family.",
             n.db().ApproximateSize());
}

void PeerMetrics(const ApiContext& ctx, Exposition& out) {
  std::vector<PeerState> peers = ctx.peers ? ctx.peers->Snapshot() : std::vector<PeerState>{};
  uint64_t connected = 0, configured = 0;
  for (const PeerState& p : peers) {
    connected += p.connected;
    configured += p.configured;
  }
  out.Single("kongsi_peers_connected", "gauge", "Peers with a live link.", connected);
  out.Single("kongsi_peers_configured", "gauge", "Peers listed in config.json.", configured);
  auto per_peer = [&](const char* name, const char* type, const char* help, auto value) {
    out.Family(name, type, help);
    for (const PeerState& p : peers)
      out.Sample(name, {{"peer", node::NodeIdText(p.node_id)}, {"name", p.name}}, value(p));
  };
  per_peer("kongsi_peer_connected", "gauge", "1 while the link to the peer is up.",
           [](const PeerState& p) { return uint64_t{p.connected}; });
  per_peer("kongsi_peer_connects_total", "counter", "Links to the peer established.",
           [](const PeerState& p) { return p.connects; });
  // SyncStats are per link: they restart at 0 when the link is made again,
  // which Prometheus' rate() and increase() read as a counter reset.
  per_peer("kongsi_peer_received_bytes_total", "counter",
           "Bytes received from the peer on the current (or last) link.",
           [](const PeerState& p) { return p.stats.bytes_in; });
  per_peer("kongsi_peer_sent_bytes_total", "counter",
           "Bytes sent to the peer on the current (or last) link.",
           [](const PeerState& p) { return p.stats.bytes_out; });
  per_peer("kongsi_peer_commits_received_total", "counter",
           "Commits received from the peer on the current (or last) link.",
           [](const PeerState& p) { return p.stats.commits_received; });
  per_peer("kongsi_peer_commits_sent_total", "counter",
           "Commits sent to the peer on the current (or last) link.",
           [](const PeerState& p) { return p.stats.commits_sent; });
  out.Family(
      "kongsi_peer_commits_behind", "gauge",
      "Commits of the collection this node holds that the peer lacks, as far as this node knows.");
  for (const PeerState& p : peers) {
    for (const auto& [coll, behind] : p.behind) {
      out.Sample("kongsi_peer_commits_behind",
                 {{"peer", node::NodeIdText(p.node_id)},
                  {"name", p.name},
                  {"collection", node::HexId(coll)}},
                 behind);
    }
  }
}

void ApiMetrics(const ApiContext& ctx, Exposition& out) {
  uint64_t by_role[4] = {};
  for (const TokenInfo& t : TokenStore(ctx.node.db()).List()) ++by_role[static_cast<int>(t.role)];
  out.Family("kongsi_api_tokens", "gauge", "Live API tokens by role.");
  for (ApiRole role : {ApiRole::kViewer, ApiRole::kPublisher, ApiRole::kAdmin})
    out.Sample("kongsi_api_tokens", {{"role", ApiRoleName(role)}}, by_role[static_cast<int>(role)]);
  out.Family("kongsi_api_responses_total", "counter", "Local API answers by HTTP status class.");
  for (int c = 1; c <= 5; ++c)
    out.Sample("kongsi_api_responses_total", {{"class", std::to_string(c) + "xx"}},
               ctx.counters->Responses(c));
}

Result<ApiResponse> Metrics(const ApiContext& ctx, const ApiRequest&) {
  Exposition out;
  NodeMetrics(ctx, out);
  PeerMetrics(ctx, out);
  ApiMetrics(ctx, out);
  ApiResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.stream = [text = out.Take()](std::ostream& os) {
    os << text;
    return Status::Ok();
  };
  return response;
}

}  // namespace

void AddMetricsRoutes(ApiRouter& router) {
  router.Add({"GET", std::string(kMetricsPath), ApiRole::kViewer, ApiBody::kNone, Metrics});
}

}  // namespace kongsi::server
