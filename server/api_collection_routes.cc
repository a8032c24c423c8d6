// Collections, their datasets, and invitations to collections peers hold:
//   GET/POST /v1/collections, GET /v1/collections/{collection},
//   GET /v1/collections/{collection}/datasets,
//   GET /v1/invites, POST /v1/invites/{collection}/join.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>

#include "node/identity.h"
#include "server/api_json.h"
#include "server/api_router.h"

namespace kongsi::server {
namespace {

Result<boost::json::object> CollectionJson(const node::Node& n, const v1::CollectionInfo& info) {
  auto cache = n.Collection(info.id());
  if (!cache.ok()) return cache.status();
  boost::json::array datasets;
  for (const auto& [name, _] : cache->datasets) datasets.push_back(boost::json::string(name));
  return boost::json::object{{"id", node::HexId(info.id())},
                             {"name", info.name()},
                             {"description", info.description()},
                             {"datasets", std::move(datasets)},
                             {"version_total", cache->vv.Total()},
                             {"vv", VersionJson(cache->vv)},
                             {"joined", info.joined()}};
}

Result<ApiResponse> ListCollections(const ApiContext& ctx, const ApiRequest&) {
  boost::json::array out;
  for (const auto& info : ctx.node.ListCollections()) {
    auto json = CollectionJson(ctx.node, info);
    if (!json.ok()) return json.status();
    out.push_back(std::move(json).value());
  }
  return ApiResponse::Json(std::move(out));
}

Result<ApiResponse> CreateCollection(const ApiContext& ctx, const ApiRequest& request) {
  auto body = ParseJsonBody(request.body);
  if (!body.ok()) return body.status();
  std::string name, description;
  KONGSI_RETURN_IF_ERROR(BodyString(*body, "name", true, &name));
  KONGSI_RETURN_IF_ERROR(BodyString(*body, "description", false, &description));
  auto id = ctx.node.CreateCollection(name, description);
  if (!id.ok()) return id.status();
  return ApiResponse::Json(boost::json::object{{"id", node::HexId(*id)}, {"name", name}}, 201);
}

Result<ApiResponse> GetCollection(const ApiContext& ctx, const ApiRequest& request) {
  auto id = PathCollection(ctx, request);
  if (!id.ok()) return id.status();
  auto cache = ctx.node.Collection(*id);
  if (!cache.ok()) return cache.status();
  auto json = CollectionJson(ctx.node, cache->info);
  if (!json.ok()) return json.status();
  return ApiResponse::Json(std::move(json).value());
}

Result<ApiResponse> ListDatasets(const ApiContext& ctx, const ApiRequest& request) {
  auto id = PathCollection(ctx, request);
  if (!id.ok()) return id.status();
  auto cache = ctx.node.Collection(*id);
  if (!cache.ok()) return cache.status();
  boost::json::array out;
  for (const auto& [name, info] : cache->datasets) {
    const v1::Schema& schema = info.schema();
    boost::json::array fields, key;
    for (const auto& f : schema.fields()) {
      fields.push_back(boost::json::object{{"name", f.name()},
                                           {"type", f.type().empty() ? "string" : f.type()}});
    }
    for (const auto& k : schema.primary_key()) key.push_back(boost::json::string(k));
    out.push_back(boost::json::object{{"name", name},
                                      {"fields", std::move(fields)},
                                      {"primary_key", std::move(key)},
                                      {"synthetic_key", schema.synthetic_key()},
                                      {"declared_types", schema.declared_types()}});
  }
  return ApiResponse::Json(std::move(out));
}

Result<ApiResponse> ListInvites(const ApiContext& ctx, const ApiRequest&) {
  boost::json::array out;
  for (const auto& invite : ctx.node.Invites()) {
    out.push_back(
        boost::json::object{{"id", node::HexId(invite.collection())},
                            {"name", invite.name()},
                            {"from", invite.from().empty() ? "" : node::NodeIdText(invite.from())},
                            {"first_seen_ms", invite.first_seen_ms()},
                            {"joined", invite.joined()}});
  }
  return ApiResponse::Json(std::move(out));
}

Result<ApiResponse> JoinInvite(const ApiContext& ctx, const ApiRequest& request) {
  auto id = ctx.node.Join(request.param("collection"));
  if (!id.ok()) return id.status();
  if (ctx.refresh_sessions) ctx.refresh_sessions();
  return ApiResponse::Json(boost::json::object{{"id", node::HexId(*id)}, {"joined", true}});
}

}  // namespace

void AddCollectionRoutes(ApiRouter& router) {
  router.Add({"GET", "/v1/collections", ApiRole::kViewer, ApiBody::kNone, ListCollections});
  router.Add({"POST", "/v1/collections", ApiRole::kPublisher, ApiBody::kJson, CreateCollection});
  router.Add(
      {"GET", "/v1/collections/{collection}", ApiRole::kViewer, ApiBody::kNone, GetCollection});
  router.Add({"GET", "/v1/collections/{collection}/datasets", ApiRole::kViewer, ApiBody::kNone,
              ListDatasets});
  router.Add({"GET", "/v1/invites", ApiRole::kViewer, ApiBody::kNone, ListInvites});
  router.Add(
      {"POST", "/v1/invites/{collection}/join", ApiRole::kAdmin, ApiBody::kNone, JoinInvite});
}

}  // namespace kongsi::server
