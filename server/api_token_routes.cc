// Bearer tokens of this API (admin only):
//   GET    /v1/tokens
//   POST   /v1/tokens          {"role": "viewer|publisher|admin", "name": "..."}
//   DELETE /v1/tokens/{token}  by ID or name
// The token itself is in the POST response only; the node keeps its hash.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>

#include "server/api_json.h"
#include "server/api_router.h"
#include "server/token_store.h"

namespace kongsi::server {
namespace {

boost::json::object TokenJson(const TokenInfo& t) {
  return boost::json::object{
      {"id", t.id}, {"name", t.name}, {"role", ApiRoleName(t.role)}, {"created_ms", t.created_ms}};
}

Result<ApiResponse> ListTokens(const ApiContext& ctx, const ApiRequest&) {
  boost::json::array out;
  for (const auto& t : TokenStore(ctx.node.db()).List()) out.push_back(TokenJson(t));
  return ApiResponse::Json(std::move(out));
}

Result<ApiResponse> CreateToken(const ApiContext& ctx, const ApiRequest& request) {
  auto body = ParseJsonBody(request.body);
  if (!body.ok()) return body.status();
  std::string role_text, name;
  KONGSI_RETURN_IF_ERROR(BodyString(*body, "role", true, &role_text));
  KONGSI_RETURN_IF_ERROR(BodyString(*body, "name", false, &name));
  ApiRole role;
  if (!ParseApiRole(role_text, &role)) {
    return Status::InvalidArgument("request body: \"role\": unknown role \"" + role_text +
                                   "\" (viewer, publisher or admin)");
  }
  auto created = TokenStore(ctx.node.db()).Create(role, name);
  if (!created.ok()) return created.status();
  boost::json::object out = TokenJson(created->info);
  out["token"] = created->token;
  return ApiResponse::Json(std::move(out), 201);
}

Result<ApiResponse> RevokeToken(const ApiContext& ctx, const ApiRequest& request) {
  auto revoked = TokenStore(ctx.node.db()).Revoke(request.param("token"));
  if (!revoked.ok()) return revoked.status();
  boost::json::object out = TokenJson(*revoked);
  out["revoked"] = true;
  return ApiResponse::Json(std::move(out));
}

}  // namespace

void AddTokenRoutes(ApiRouter& router) {
  router.Add({"GET", "/v1/tokens", ApiRole::kAdmin, ApiBody::kNone, ListTokens});
  router.Add({"POST", "/v1/tokens", ApiRole::kAdmin, ApiBody::kJson, CreateToken});
  router.Add({"DELETE", "/v1/tokens/{token}", ApiRole::kAdmin, ApiBody::kNone, RevokeToken});
}

}  // namespace kongsi::server
