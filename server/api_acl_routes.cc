// Who may read, write and administer a collection (DESIGN §6):
//   GET    /v1/collections/{collection}/acl
//   POST   /v1/collections/{collection}/acl            {"node_id": "...", "role": "writer"}
//   DELETE /v1/collections/{collection}/acl/{node_id}
// Grants and revokes are ops signed by this node; the collection's ACL
// decides whether this node may make them.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "node/acl.h"
#include "node/identity.h"
#include "node/reader.h"
#include "server/api_json.h"
#include "server/api_router.h"

namespace kongsi::server {
namespace {

Result<ApiResponse> CommitAclOp(const ApiContext& ctx, const std::string& coll, v1::Op op,
                                const std::string& done) {
  std::vector<v1::Op> ops{std::move(op)};
  auto applied = ctx.node.CommitOps(coll, std::move(ops), done);
  if (!applied.ok()) return applied.status();
  return ApiResponse::Json(boost::json::object{
      {"collection", node::HexId(coll)}, {"done", done}, {"seq", applied->seq}});
}

Result<ApiResponse> Grant(const ApiContext& ctx, const ApiRequest& request) {
  auto body = ParseJsonBody(request.body);
  if (!body.ok()) return body.status();
  std::string node_id, role_text;
  KONGSI_RETURN_IF_ERROR(BodyString(*body, "node_id", true, &node_id));
  KONGSI_RETURN_IF_ERROR(BodyString(*body, "role", true, &role_text));
  auto org = node::ParseNodeId(node_id);
  if (!org.ok()) return org.status().WithContext("request body: \"node_id\"");
  v1::Role role;
  if (!node::ParseRole(role_text, &role)) {
    return Status::InvalidArgument("request body: \"role\": unknown role \"" + role_text +
                                   "\" (reader, writer or admin)");
  }
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  v1::Op op;
  op.mutable_grant()->set_org(*org);
  op.mutable_grant()->set_role(role);
  return CommitAclOp(ctx, *coll, std::move(op),
                     "granted " + role_text + " to " + node::NodeIdText(*org));
}

Result<ApiResponse> Revoke(const ApiContext& ctx, const ApiRequest& request) {
  auto org = node::ParseNodeId(request.param("node_id"));
  if (!org.ok()) return org.status().WithContext("path segment {node_id}");
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  v1::Op op;
  op.mutable_revoke()->set_org(*org);
  return CommitAclOp(ctx, *coll, std::move(op), "revoked " + node::NodeIdText(*org));
}

Result<ApiResponse> ListAcl(const ApiContext& ctx, const ApiRequest& request) {
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::Reader reader(ctx.node, *coll);
  const std::string& self = ctx.node.identity().node_id();
  boost::json::array out;
  for (const auto& m : reader.cache().acl.Members()) {
    out.push_back(boost::json::object{
        {"node_id", node::NodeIdText(m.org)},
        {"role", node::RoleName(m.role)},
        {"granted_by", m.granted_by.empty() ? std::string() : reader.AuthorLabel(m.granted_by)},
        {"granted_seq", m.granted_seq},
        {"time", m.granted_hlc ? HlcTime(m.granted_hlc) : ""},
        {"self", m.org == self}});
  }
  return ApiResponse::Json(std::move(out));
}

}  // namespace

void AddAclRoutes(ApiRouter& router) {
  router.Add(
      {"GET", "/v1/collections/{collection}/acl", ApiRole::kViewer, ApiBody::kNone, ListAcl});
  router.Add({"POST", "/v1/collections/{collection}/acl", ApiRole::kAdmin, ApiBody::kJson, Grant});
  router.Add({"DELETE", "/v1/collections/{collection}/acl/{node_id}", ApiRole::kAdmin,
              ApiBody::kNone, Revoke});
}

}  // namespace kongsi::server
