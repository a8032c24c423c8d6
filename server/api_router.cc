#include "server/api_router.h"

#include "server/api_url.h"

namespace kongsi::server {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Fills `params` when `path_segments` fit `pattern`.
bool Fits(std::string_view pattern, const std::vector<std::string_view>& path_segments,
          std::map<std::string, std::string>* params, Status* bad_escape) {
  std::vector<std::string_view> want = Segments(pattern);
  if (want.size() != path_segments.size()) return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!IsParam(want[i])) {
      if (want[i] != path_segments[i]) return false;
      continue;
    }
    if (path_segments[i].empty()) return false;
    std::string name(want[i].substr(1, want[i].size() - 2));
    auto decoded = PercentDecode(path_segments[i], false, "path segment {" + name + "}");
    if (!decoded.ok()) {
      *bad_escape = decoded.status();
      return false;
    }
    found[name] = std::move(decoded).value();
  }
  *params = std::move(found);
  return true;
}

ApiError Error(int http_status, std::string code, std::string message) {
  return ApiError{http_status, std::move(code), std::move(message)};
}

}  // namespace

void ApiRouter::Add(ApiRoute route) { routes_.push_back(std::move(route)); }

ApiMatch ApiRouter::Match(std::string_view method, std::string_view path) const {
  ApiMatch match;
  std::vector<std::string_view> segments = Segments(path);
  std::string allowed;
  Status bad_escape;
  for (const ApiRoute& r : routes_) {
    std::map<std::string, std::string> params;
    if (!Fits(r.pattern, segments, &params, &bad_escape)) continue;
    if (r.method != method) {
      if (!allowed.empty()) allowed += ", ";
      allowed += r.method;
      continue;
    }
    match.route = &r;
    match.params = std::move(params);
    return match;
  }
  if (!bad_escape.ok()) {
    match.error = ApiError::FromStatus(bad_escape);
  } else if (!allowed.empty()) {
    match.error = Error(405, kErrorMethodNotAllowed,
                        std::string(method) + " is not allowed on " + std::string(path) +
                            " (allowed: " + allowed + ")");
  } else {
    match.error =
        Error(404, CodeName(Status::Code::kNotFound), "no such route: " + std::string(path));
  }
  return match;
}

const ApiRouter& DefaultApiRouter() {
  static const ApiRouter* router = [] {
    auto* r = new ApiRouter;
    AddNodeRoutes(*r);
    AddCollectionRoutes(*r);
    AddDataRoutes(*r);
    AddPackageRoutes(*r);
    AddHistoryRoutes(*r);
    AddTagRoutes(*r);
    AddAclRoutes(*r);
    AddTokenRoutes(*r);
    AddPeerRoutes(*r);
    AddCkanRoutes(*r);
    AddMetricsRoutes(*r);
    AddRowsRoutes(*r);
    return r;
  }();
  return *router;
}

ApiError RoleError(const ApiRoute& route, ApiRole role) {
  if (role >= route.role) return {};
  if (role == ApiRole::kNone) {
    return Error(401, kErrorUnauthenticated,
                 "a bearer token is required (Authorization: Bearer TOKEN)");
  }
  return Error(403, CodeName(Status::Code::kPermissionDenied),
               route.method + " " + route.pattern + " needs the " + ApiRoleName(route.role) +
                   " role; this token is " + ApiRoleName(role));
}

ApiOutcome RunRoute(const ApiMatch& match, const ApiContext& ctx, ApiRequest& request) {
  ApiOutcome out;
  const ApiRoute& route = *match.route;
  out.error = RoleError(route, request.role);
  if (!out.ok()) return out;
  request.params = match.params;
  Result<ApiResponse> response = route.handler(ctx, request);
  if (!response.ok()) {
    out.error = ApiError::FromStatus(response.status());
    return out;
  }
  out.response = std::move(response).value();
  return out;
}

}  // namespace kongsi::server
