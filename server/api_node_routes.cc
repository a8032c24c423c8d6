// GET /healthz, GET /v1/openapi.json, GET /v1/node, GET /v1/status,
// POST /v1/backup: the node itself.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "node/identity.h"
#include "node/reader.h"
#include "server/api_json.h"
#include "server/api_router.h"
#include "server/backup.h"

namespace kongsi::server {
namespace {

// 200 while the database answers a read (a missing key is an answer), 503
// with the reason when it does not (a failed disk, a closed database).
Result<ApiResponse> Healthz(const ApiContext& ctx, const ApiRequest&) {
  std::string ignored;
  Status read = ctx.node.db().Get(storage::Family::kMeta, "healthz", &ignored);
  if (!read.ok() && !read.IsNotFound()) {
    return ApiResponse::Json(
        boost::json::object{{"status", "unavailable"}, {"reason", read.message()}}, 503);
  }
  return ApiResponse::Json(boost::json::object{{"status", "ok"}});
}

Result<ApiResponse> OpenApi(const ApiContext&, const ApiRequest&) {
  return ApiResponse::Json(OpenApiDocument());
}

Result<ApiResponse> GetNode(const ApiContext& ctx, const ApiRequest&) {
  const auto& id = ctx.node.identity();
  return ApiResponse::Json(boost::json::object{{"node_id", id.node_id_text()},
                                               {"name", id.name()},
                                               {"public_key", node::HexId(id.public_key())}});
}

Result<ApiResponse> GetStatus(const ApiContext& ctx, const ApiRequest&) {
  const node::Node& n = ctx.node;
  node::NodeCounters counters = n.counters();
  boost::json::array colls;
  for (const auto& info : n.ListCollections()) {
    auto cache = n.Collection(info.id());
    if (!cache.ok()) return cache.status();
    node::Reader reader(n, info.id());
    colls.push_back(boost::json::object{{"id", node::HexId(info.id())},
                                        {"name", info.name()},
                                        {"joined", info.joined()},
                                        {"version", reader.FormatVersion(cache->vv)},
                                        {"vv", VersionJson(cache->vv)},
                                        {"commits", cache->vv.Total()},
                                        {"datasets", cache->datasets.size()},
                                        {"pending", cache->pending}});
  }
  boost::json::array alarms;
  for (const auto& a : n.Alarms()) alarms.push_back(boost::json::string(a));
  return ApiResponse::Json(boost::json::object{
      {"node_id", n.identity().node_id_text()},
      {"name", n.identity().name()},
      {"data_dir", n.data_dir()},
      // Counters are of the process serving the request: the daemon's when
      // it runs, else only what opening the node did (rolling an import
      // forward, say).
      {"serving", ctx.peers != nullptr},
      {"collections", std::move(colls)},
      {"counters", boost::json::object{{"commits_applied", counters.commits_applied},
                                       {"commits_rejected", counters.commits_rejected},
                                       {"commits_duplicate", counters.commits_duplicate},
                                       {"commits_pending", counters.commits_pending},
                                       {"equivocations", counters.equivocations}}},
      {"alarms", std::move(alarms)}});
}

// Runs where the database is open (the daemon, or the CLI in-process), so
// the RocksDB checkpoint is consistent while the node serves. `to` is a path
// on the node's machine.
Result<ApiResponse> Backup(const ApiContext& ctx, const ApiRequest& request) {
  auto body = ParseJsonBody(request.body);
  if (!body.ok()) return body.status();
  std::string to;
  KONGSI_RETURN_IF_ERROR(BodyString(*body, "to", true, &to));
  auto report = BackupNode(ctx.node, to);
  if (!report.ok()) return report.status();
  return ApiResponse::Json(boost::json::object{{"dir", report->dir},
                                               {"node_id", report->node_id},
                                               {"files", report->files},
                                               {"bytes", report->bytes}});
}

}  // namespace

void AddNodeRoutes(ApiRouter& router) {
  router.Add({"GET", "/healthz", ApiRole::kNone, ApiBody::kNone, Healthz});
  router.Add({"GET", "/v1/openapi.json", ApiRole::kNone, ApiBody::kNone, OpenApi});
  router.Add({"GET", "/v1/node", ApiRole::kViewer, ApiBody::kNone, GetNode});
  router.Add({"GET", "/v1/status", ApiRole::kViewer, ApiBody::kNone, GetStatus});
  router.Add({"POST", "/v1/backup", ApiRole::kAdmin, ApiBody::kJson, Backup});
}

}  // namespace kongsi::server
