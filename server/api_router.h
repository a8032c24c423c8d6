// The local API's routes: method + path pattern -> role + handler. One table
// serves the HTTP server, the CLI's in-process dispatch and the OpenAPI
// check (ApiOpenApiTest in tests/server/api_test.cc).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_types.h"

namespace kongsi::server {

using ApiHandler = std::function<Result<ApiResponse>(const ApiContext&, const ApiRequest&)>;

// What a route reads from the request body.
enum class ApiBody {
  kNone,    // nothing (a body sent anyway is ignored)
  kJson,    // a JSON object of at most kMaxApiJsonBodyBytes
  kUpload,  // a stream of at most kMaxApiUploadBytes, spooled to a file
};

struct ApiRoute {
  std::string method;   // "GET", "POST", "PUT", "DELETE"
  std::string pattern;  // "/v1/collections/{collection}/tags": {name} is one segment
  ApiRole role = ApiRole::kViewer;
  ApiBody body = ApiBody::kNone;
  ApiHandler handler;
};

// A route found for a request, or the error to answer with.
struct ApiMatch {
  const ApiRoute* route = nullptr;
  std::map<std::string, std::string> params;  // decoded
  ApiError error;
  bool ok() const { return route != nullptr; }
};

class ApiRouter {
 public:
  void Add(ApiRoute route);
  // 404 when no pattern matches `path` (percent-encoded), 405 when one does
  // for another method, 400 for a broken %-escape in a segment.
  ApiMatch Match(std::string_view method, std::string_view path) const;
  const std::vector<ApiRoute>& routes() const { return routes_; }

 private:
  std::vector<ApiRoute> routes_;
};

// Every route of the API (built once; thread-safe to use).
const ApiRouter& DefaultApiRouter();

// The error for a request with `role` on `route`: 401 with no token, 403
// with a token of too low a role; none (code empty) when it may proceed.
ApiError RoleError(const ApiRoute& route, ApiRole role);

// The role check and the handler of a matched route, with errors (a Status
// from the handler, a role too low) as the ApiError to send.
struct ApiOutcome {
  ApiResponse response;
  ApiError error;
  bool ok() const { return error.code.empty(); }
};
ApiOutcome RunRoute(const ApiMatch& match, const ApiContext& ctx, ApiRequest& request);

// Registration, one group per file (server/api_*_routes.cc).
void AddNodeRoutes(ApiRouter& router);        // healthz, openapi, node, status
void AddCollectionRoutes(ApiRouter& router);  // collections, datasets, invites
void AddDataRoutes(ApiRouter& router);        // publish, export
void AddPackageRoutes(ApiRouter& router);     // Data Package upload, download
void AddHistoryRoutes(ApiRouter& router);     // log, diff, history, conflicts, digest
void AddTagRoutes(ApiRouter& router);         // tags
void AddAclRoutes(ApiRouter& router);         // acl
void AddTokenRoutes(ApiRouter& router);       // tokens
void AddPeerRoutes(ApiRouter& router);        // peers
void AddCkanRoutes(ApiRouter& router);        // CKAN's Action API, resource downloads
void AddMetricsRoutes(ApiRouter& router);     // /metrics (Prometheus)
void AddRowsRoutes(ApiRouter& router);        // rows: a dataset page for people (web console)

// The OpenAPI 3 document served at GET /v1/openapi.json.
const boost::json::value& OpenApiDocument();

}  // namespace kongsi::server
