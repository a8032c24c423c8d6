// Who may read, write and administer a collection (DESIGN §6):
//   GET    /v1/collections/{collection}/acl            every org ever named, role as seen here
//   POST   /v1/collections/{collection}/acl            {"node_id": "...", "role": "writer"}
//   DELETE /v1/collections/{collection}/acl/{node_id}
//   GET    /v1/collections/{collection}/acl/log        every Grant/Revoke and its verdict
//   GET    /v1/collections/{collection}/members        current members and what they wrote
// Grants and revokes are ops signed by this node; the collection's ACL
// decides whether this node may make them. They are checked here first with
// the same rules the commit pipeline applies (node::CheckAclOp), so that a
// refusal gets its own HTTP status: 403 not an admin, 404 not a member, 409
// no admin would be left.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

#include "node/acl.h"
#include "node/identity.h"
#include "node/reader.h"
#include "server/api_json.h"
#include "server/api_router.h"

namespace kongsi::server {
namespace {

// "" for no author (an org never granted or revoked), else its node ID.
std::string ByLabel(const node::Reader& reader, const std::string& author) {
  return author.empty() ? std::string() : reader.AuthorLabel(author);
}

std::string TimeOrEmpty(uint64_t hlc) { return hlc ? HlcTime(hlc) : std::string(); }

// Checks `op` as the next commit of this node would be checked, then
// commits it.
Result<ApiResponse> CommitAclOp(const ApiContext& ctx, const std::string& coll, node::AclOp acl_op,
                                v1::Op op, const std::string& done) {
  const node::Identity& self = ctx.node.identity();
  {
    node::Reader reader(ctx.node, coll);
    acl_op.at.author = self.public_key();
    acl_op.at.deps = reader.cache().vv;
    acl_op.at.seq = acl_op.at.deps.Get(self.public_key()) + 1;
    Status allowed = node::CheckAclOp(reader.cache().acl, self.node_id(), acl_op);
    if (!allowed.ok()) {
      return allowed.WithContext("collection " + reader.cache().info.name());
    }
  }
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
  node::AclOp acl_op;
  acl_op.org = *org;
  acl_op.role = role;
  v1::Op op;
  op.mutable_grant()->set_org(*org);
  op.mutable_grant()->set_role(role);
  return CommitAclOp(ctx, *coll, std::move(acl_op), std::move(op),
                     "granted " + role_text + " to " + node::NodeIdText(*org));
}

Result<ApiResponse> Revoke(const ApiContext& ctx, const ApiRequest& request) {
  auto org = node::ParseNodeId(request.param("node_id"));
  if (!org.ok()) return org.status().WithContext("path segment {node_id}");
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::AclOp acl_op;
  acl_op.org = *org;
  acl_op.revoke = true;
  v1::Op op;
  op.mutable_revoke()->set_org(*org);
  return CommitAclOp(ctx, *coll, std::move(acl_op), std::move(op),
                     "revoked " + node::NodeIdText(*org));
}

Result<ApiResponse> ListAcl(const ApiContext& ctx, const ApiRequest& request) {
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::Reader reader(ctx.node, *coll);
  const std::string& self = ctx.node.identity().node_id();
  boost::json::array out;
  for (const auto& m : reader.cache().acl.Members()) {
    bool revoked = !m.revoked_by.empty();
    out.push_back(boost::json::object{
        {"node_id", node::NodeIdText(m.org)},
        {"role", node::RoleName(m.role)},
        {"self", m.org == self},
        {"granted_by", ByLabel(reader, m.granted_by)},
        {"granted_seq", m.granted_seq},
        {"granted_time", TimeOrEmpty(m.granted_hlc)},
        {"revoked_by", ByLabel(reader, m.revoked_by)},
        {"revoked_seq", m.revoked_seq},
        {"revoked_time", TimeOrEmpty(m.revoked_hlc)},
        // When the deciding op was made, whichever it is.
        {"time", TimeOrEmpty(revoked ? m.revoked_hlc : m.granted_hlc)}});
  }
  return ApiResponse::Json(std::move(out));
}

const char* KindName(node::AclLogEntry::Kind kind) {
  switch (kind) {
    case node::AclLogEntry::Kind::kGenesis:
      return "genesis";
    case node::AclLogEntry::Kind::kRevoke:
      return "revoke";
    default:
      return "grant";
  }
}

Result<ApiResponse> GetAclLog(const ApiContext& ctx, const ApiRequest& request) {
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::Reader reader(ctx.node, *coll);
  boost::json::array out;
  for (const auto& e : reader.cache().acl.Log()) {
    bool revoke = e.kind == node::AclLogEntry::Kind::kRevoke;
    out.push_back(boost::json::object{{"author", reader.AuthorLabel(e.author)},
                                      {"seq", e.seq},
                                      {"op_index", e.op_index},
                                      {"hlc", e.hlc},
                                      {"time", HlcTime(e.hlc)},
                                      {"op", KindName(e.kind)},
                                      {"node_id", node::NodeIdText(e.org)},
                                      {"role", revoke ? "" : node::RoleName(e.role)},
                                      {"valid", e.valid},
                                      {"invalid_reason", e.invalid_reason}});
  }
  return ApiResponse::Json(std::move(out));
}

Result<ApiResponse> GetMembers(const ApiContext& ctx, const ApiRequest& request) {
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::Reader reader(ctx.node, *coll);
  auto activity = reader.Activity();
  if (!activity.ok()) return activity.status();
  std::map<std::string, node::AuthorActivity> by_org;  // activity by raw node ID
  for (const auto& [author, a] : *activity) by_org[node::NodeIdFromPublicKey(author)] = a;
  const std::string& self = ctx.node.identity().node_id();
  boost::json::array out;
  for (const auto& m : reader.cache().acl.Members()) {
    if (m.role == v1::ROLE_NONE) continue;
    const node::AuthorActivity& a = by_org[m.org];
    out.push_back(boost::json::object{{"node_id", node::NodeIdText(m.org)},
                                      {"role", node::RoleName(m.role)},
                                      {"self", m.org == self},
                                      {"commits", a.commits},
                                      {"invalid_commits", a.invalid},
                                      {"last_commit_time", TimeOrEmpty(a.last_hlc)}});
  }
  return ApiResponse::Json(std::move(out));
}

}  // namespace

void AddAclRoutes(ApiRouter& router) {
  router.Add(
      {"GET", "/v1/collections/{collection}/acl", ApiRole::kViewer, ApiBody::kNone, ListAcl});
  router.Add({"POST", "/v1/collections/{collection}/acl", ApiRole::kAdmin, ApiBody::kJson, Grant});
  router.Add({"GET", "/v1/collections/{collection}/acl/log", ApiRole::kViewer, ApiBody::kNone,
              GetAclLog});
  router.Add({"DELETE", "/v1/collections/{collection}/acl/{node_id}", ApiRole::kAdmin,
              ApiBody::kNone, Revoke});
  router.Add({"GET", "/v1/collections/{collection}/members", ApiRole::kViewer, ApiBody::kNone,
              GetMembers});
}

}  // namespace kongsi::server
