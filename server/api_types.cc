#include "server/api_types.h"

#include <boost/json/object.hpp>
#include <charconv>

#include "node/table_schema.h"
#include "server/api_url.h"

namespace kongsi::server {
namespace {

// Status codes by CodeName, for reading errors back.
constexpr Status::Code kAllCodes[] = {
    Status::Code::kNotFound,
    Status::Code::kInvalidArgument,
    Status::Code::kPermissionDenied,
    Status::Code::kAlreadyExists,
    Status::Code::kFailedPrecondition,
    Status::Code::kCorruption,
    Status::Code::kIoError,
    Status::Code::kResourceExhausted,
    Status::Code::kInternal,
};

}  // namespace

Status MakeStatus(Status::Code code, std::string message) {
  switch (code) {
    case Status::Code::kOk:
      return Status::Ok();
    case Status::Code::kNotFound:
      return Status::NotFound(std::move(message));
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(std::move(message));
    case Status::Code::kPermissionDenied:
      return Status::PermissionDenied(std::move(message));
    case Status::Code::kAlreadyExists:
      return Status::AlreadyExists(std::move(message));
    case Status::Code::kFailedPrecondition:
      return Status::FailedPrecondition(std::move(message));
    case Status::Code::kCorruption:
      return Status::Corruption(std::move(message));
    case Status::Code::kIoError:
      return Status::IoError(std::move(message));
    case Status::Code::kResourceExhausted:
      return Status::ResourceExhausted(std::move(message));
    case Status::Code::kInternal:
      break;
  }
  return Status::Internal(std::move(message));
}

const char* ApiRoleName(ApiRole role) {
  switch (role) {
    case ApiRole::kNone:
      return "none";
    case ApiRole::kViewer:
      return "viewer";
    case ApiRole::kPublisher:
      return "publisher";
    case ApiRole::kAdmin:
      return "admin";
  }
  return "none";
}

bool ParseApiRole(std::string_view text, ApiRole* role) {
  for (ApiRole r : {ApiRole::kViewer, ApiRole::kPublisher, ApiRole::kAdmin}) {
    if (text == ApiRoleName(r)) {
      *role = r;
      return true;
    }
  }
  return false;
}

const std::string& ApiRequest::param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

std::string ApiRequest::Query(std::string_view name, std::string fallback) const {
  for (auto it = query.rbegin(); it != query.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return fallback;
}

bool ApiRequest::HasQuery(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return true;
  }
  return false;
}

std::vector<std::string> ApiRequest::QueryList(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : query) {
    if (k != name) continue;
    for (auto& part : SplitCommas(v)) out.push_back(std::move(part));
  }
  return out;
}

Result<bool> ApiRequest::QueryBool(std::string_view name) const {
  if (!HasQuery(name)) return false;
  std::string v = Query(name);
  if (v.empty() || v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return Status::InvalidArgument("query parameter " + std::string(name) + ": \"" + v +
                                 "\" is not true or false");
}

Result<uint64_t> ApiRequest::QueryUint(std::string_view name) const {
  std::string v = Query(name);
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
    return Status::InvalidArgument("query parameter " + std::string(name) + ": \"" + v +
                                   "\" is not a non-negative integer");
  }
  return n;
}

void ApiCounters::CountResponse(int http_status) {
  int status_class = http_status / 100;
  if (status_class < 1 || status_class > 5) status_class = 0;
  responses_[status_class].fetch_add(1, std::memory_order_relaxed);
}

uint64_t ApiCounters::Responses(int status_class) const {
  if (status_class < 1 || status_class > 5) status_class = 0;
  return responses_[status_class].load(std::memory_order_relaxed);
}

bool IsCkanApiPath(std::string_view path) { return path.substr(0, kCkanApiPrefix.size()) == kCkanApiPrefix; }

ApiRole AnonymousRole(const ApiContext& ctx, std::string_view path) {
  const bool ckan =
      IsCkanApiPath(path) || path.substr(0, kCkanDownloadPrefix.size()) == kCkanDownloadPrefix;
  if ((ctx.ckan_public && ckan) || (ctx.metrics_public && path == kMetricsPath)) {
    return ApiRole::kViewer;
  }
  return ApiRole::kNone;
}

ApiResponse ErrorResponse(const ApiError& error, std::string_view path,
                          const std::string& base_url) {
  if (IsCkanApiPath(path)) return CkanErrorResponse(error, path, base_url);
  return ApiResponse::Json(error.ToJson(), error.http_status);
}

int HttpStatusOf(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return 200;
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kPermissionDenied:
      return 403;
    case Status::Code::kAlreadyExists:
    case Status::Code::kFailedPrecondition:
      return 409;
    case Status::Code::kResourceExhausted:
      return 413;
    case Status::Code::kCorruption:
    case Status::Code::kIoError:
    case Status::Code::kInternal:
      break;
  }
  return 500;
}

ApiError ApiError::FromStatus(const Status& status) {
  return ApiError{HttpStatusOf(status.code()), CodeName(status.code()), status.message()};
}

boost::json::value ApiError::ToJson() const {
  return boost::json::object{{"error", boost::json::object{{"code", code}, {"message", message}}}};
}

Status ApiError::ToStatus() const {
  for (Status::Code c : kAllCodes) {
    if (code == CodeName(c)) return MakeStatus(c, message);
  }
  if (code == kErrorUnauthenticated) return Status::PermissionDenied(message);
  if (code == kErrorPayloadTooLarge || code == kErrorHeaderTooLarge) {
    return Status::ResourceExhausted(message);
  }
  if (code == kErrorMethodNotAllowed) return Status::InvalidArgument(message);
  return Status::Internal(message.empty() ? "HTTP status " + std::to_string(http_status) : message);
}

Result<boost::json::object> ParseJsonBody(std::string_view body) {
  auto doc = node::ParseJsonText(body, "request body");
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) return Status::InvalidArgument("request body: expected a JSON object");
  return std::move(doc->as_object());
}

}  // namespace kongsi::server
