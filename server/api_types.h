// The local API's request and response, independent of HTTP: a route
// handler sees an ApiRequest and returns an ApiResponse, whether the request
// came over a socket (server/api_server.h) or from the CLI in-process
// (server/cli_client.h). Every operation is implemented once, as a handler.
#pragma once

#include <array>
#include <atomic>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "node/node.h"
#include "storage/status.h"

namespace kongsi::server {

class PeerRegistry;

// What a bearer token may do. Each role includes the ones before it.
enum class ApiRole : int {
  kNone = 0,       // no token: only the public routes (/healthz, /v1/openapi.json)
  kViewer = 1,     // reads
  kPublisher = 2,  // + publish, tags, collection creation
  kAdmin = 3,      // + ACL, invitations, peers, tokens
};
const char* ApiRoleName(ApiRole role);  // "none", "viewer", "publisher", "admin"
// "viewer" / "publisher" / "admin"; false for anything else.
bool ParseApiRole(std::string_view text, ApiRole* role);

// Largest JSON request body (collection, tag, ACL, token and peer requests
// are a few hundred bytes).
inline constexpr size_t kMaxApiJsonBodyBytes = 1u << 20;
// Largest CSV upload (publish). The importer streams, so this bounds disk
// use under <data>/tmp/, not memory.
inline constexpr uint64_t kMaxApiUploadBytes = 16ull << 30;
// Largest request line plus headers. A Table Schema travels in the
// `schema` query parameter, so this is kMaxSchemaJsonBytes percent-encoded.
inline constexpr size_t kMaxApiHeaderBytes = 3u << 20;
// Largest header field, name and value (a token is 64 bytes; Beast itself
// cannot hold one over 64 KiB), and most fields in one request.
inline constexpr size_t kMaxApiHeaderFieldBytes = 8u << 10;
inline constexpr size_t kMaxApiHeaderFields = 100;

// What the HTTP server counts for GET /metrics. Lock-free; shared by the
// server's sessions and the metrics route through ApiContext.
class ApiCounters {
 public:
  void CountResponse(int http_status);
  // Answers sent with a status of `status_class` (1..5: 1xx..5xx).
  uint64_t Responses(int status_class) const;

 private:
  std::array<std::atomic<uint64_t>, 6> responses_{};  // [0]: outside 100..599
};

// Where the request is served: the node and, in the daemon, its peers.
struct ApiContext {
  node::Node& node;
  PeerRegistry* peers = nullptr;  // null in-process: no connections to report
  std::string data_dir;
  // The daemon's: asks peer sessions to re-check memberships after a join.
  std::function<void()> refresh_sessions;
  // config.json's switches that serve some routes without a token
  // (AnonymousRole below; docs/CONFIG.md).
  bool ckan_public = false;
  bool metrics_public = false;
  std::shared_ptr<ApiCounters> counters = std::make_shared<ApiCounters>();
};

// CKAN's Action API (/api/3/action/..., /api/action/...) and its resource
// downloads (/dataset/...): server/api_ckan_routes.cc.
inline constexpr std::string_view kCkanApiPrefix = "/api/";
inline constexpr std::string_view kCkanDownloadPrefix = "/dataset/";
inline constexpr std::string_view kMetricsPath = "/metrics";
bool IsCkanApiPath(std::string_view path);

// The role a request without a token has on `path`: viewer on the CKAN
// routes when `ckan_public`, on /metrics when `metrics_public`; else none.
ApiRole AnonymousRole(const ApiContext& ctx, std::string_view path);

struct ApiRequest {
  std::string method;                         // "GET", "POST", "PUT", "DELETE"
  // "http://HOST:PORT" as the client reached us (its Host header), for
  // absolute URLs in answers (CKAN's resource URLs). Empty in-process.
  std::string base_url;
  std::string path;                           // as sent, percent-encoded, without the query
  std::map<std::string, std::string> params;  // decoded path parameters
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::string body;                                        // a JSON body (routes that take one)
  std::string upload_path;  // a streamed body, as a file (routes that upload)
  ApiRole role = ApiRole::kNone;
  // In-process only: progress of a long import, for the CLI's progress line.
  std::function<void(uint64_t rows, uint64_t bytes, int pass)> progress;

  const std::string& param(const std::string& name) const;
  // The last value of `name`, or `fallback` when absent.
  std::string Query(std::string_view name, std::string fallback = {}) const;
  bool HasQuery(std::string_view name) const;
  // Every value of `name`, each also split at commas ("key=a,b&key=c").
  std::vector<std::string> QueryList(std::string_view name) const;
  // true / false / 1 / 0 / "" (present without a value: true); anything
  // else is an error naming the parameter.
  Result<bool> QueryBool(std::string_view name) const;
  Result<uint64_t> QueryUint(std::string_view name) const;
};

struct ApiResponse {
  int status = 200;
  boost::json::value json;  // the body, unless `stream` is set
  // A streamed body (exports): written after the headers, so it must not
  // fail for reasons the handler could have checked first. A failure part
  // way can only cut the stream short.
  std::string content_type;
  std::function<Status(std::ostream&)> stream;

  static ApiResponse Json(boost::json::value doc, int status = 200) {
    ApiResponse r;
    r.status = status;
    r.json = std::move(doc);
    return r;
  }
};

// An error as the API reports it: {"error":{"code","message"}} with an HTTP
// status. Codes are CodeName() of a Status code plus the HTTP-only ones
// below.
struct ApiError {
  int http_status = 500;
  std::string code;
  std::string message;

  static ApiError FromStatus(const Status& status);
  boost::json::value ToJson() const;
  // Back to a Status for the CLI: codes of the HTTP layer map to the
  // nearest Status code (unauthenticated -> permission denied, ...).
  Status ToStatus() const;
};
inline constexpr char kErrorUnauthenticated[] = "unauthenticated";      // 401
inline constexpr char kErrorMethodNotAllowed[] = "method_not_allowed";  // 405
inline constexpr char kErrorPayloadTooLarge[] = "payload_too_large";    // 413
inline constexpr char kErrorHeaderTooLarge[] = "header_too_large";      // 431

// The answer to `error` for a request of `path`: {"error":{"code","message"}},
// or CKAN's envelope {"help","success":false,"error":{"__type","message"}}
// with CKAN's status (403/404/409) on CKAN's Action API (CkanErrorResponse in
// server/api_ckan_routes.cc). `base_url` as in ApiRequest.
ApiResponse ErrorResponse(const ApiError& error, std::string_view path,
                          const std::string& base_url);
ApiResponse CkanErrorResponse(const ApiError& error, std::string_view path,
                              const std::string& base_url);

int HttpStatusOf(Status::Code code);
// A Status of `code` with `message` (Status has a factory per code only).
Status MakeStatus(Status::Code code, std::string message);

// Parses a JSON request body; errors give the line and column.
Result<boost::json::object> ParseJsonBody(std::string_view body);

}  // namespace kongsi::server
