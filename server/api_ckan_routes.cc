// CKAN's Action API, read-only, so CKAN harvesters and clients (ckanapi,
// frictionless) can read a node as if it were a CKAN portal:
//   GET|POST /api/3/action/{action}   (and /api/action/{action}, ckanapi's)
//   GET /dataset/{package}/resource/{resource}/download/{file}   the CSV
// A package is a collection, a resource one of its datasets. Answers are
// CKAN's envelope {"help","success","result"}; errors {"help","success":
// false,"error":{"__type","message"}} with CKAN's statuses (CkanErrorResponse).
// GET reads the query string and POST a JSON object, as CKAN does.
#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <memory>
#include <string>
#include <vector>

#include "node/exporter.h"
#include "server/api_json.h"
#include "server/api_router.h"
#include "server/api_url.h"
#include "server/ckan_package.h"

namespace kongsi::server {
namespace {

namespace json = boost::json;

constexpr char kCkanVersion[] = "2.10.0";  // the API generation we answer as
constexpr uint64_t kDefaultRows = 10;      // CKAN's package_search defaults
constexpr uint64_t kMaxRows = 1000;        // CKAN's ckan.search.rows_max

std::string HelpUrl(const std::string& base_url, std::string_view action) {
  return base_url + "/api/3/action/help_show?name=" + PercentEncode(action);
}

std::string ActionOf(std::string_view path) {
  return std::string(path.substr(path.rfind('/') + 1));
}

json::object Envelope(const std::string& base_url, std::string_view action) {
  return json::object{{"help", HelpUrl(base_url, action)}};
}

// A CKAN action's parameters: the query string, then (POST) the JSON body.
class CkanParams {
 public:
  static Result<CkanParams> Of(const ApiRequest& request) {
    CkanParams p;
    for (const auto& [k, v] : request.query) p.values_[k] = v;
    if (request.method == "POST" && !request.body.empty()) {
      auto body = ParseJsonBody(request.body);
      if (!body.ok()) return body.status();
      for (const auto& [k, v] : *body) p.values_[k] = v;
    }
    return p;
  }
  // The text of `name` (a string or a number); empty when absent.
  Result<std::string> Text(std::string_view name) const {
    const json::value* v = values_.if_contains(name);
    if (!v || v->is_null()) return std::string();
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_number()) return json::serialize(*v);
    return Status::InvalidArgument(std::string(name) + ": expected a string");
  }
  Result<std::string> Required(std::string_view name) const {
    auto text = Text(name);
    if (text.ok() && text->empty())
      return Status::InvalidArgument(std::string(name) + ": Missing value");
    return text;
  }
  Result<uint64_t> Count(std::string_view name, uint64_t fallback) const {
    auto text = Text(name);
    if (!text.ok() || text->empty()) return text.ok() ? Result<uint64_t>(fallback) : text.status();
    uint64_t n = 0;
    const char* end = text->data() + text->size();
    auto [stop, ec] = std::from_chars(text->data(), end, n);
    if (ec != std::errc() || stop != end)
      return Status::InvalidArgument(std::string(name) + ": \"" + *text +
                                     "\" is not a non-negative integer");
    return n;
  }

 private:
  json::object values_;
};

// ---- actions ----

using Action = Result<json::value> (*)(const ApiContext&, const CkanParams&, const std::string&);

Result<json::value> PackageList(const ApiContext& ctx, const CkanParams& params,
                                const std::string&) {
  auto offset = params.Count("offset", 0);
  if (!offset.ok()) return offset.status();
  auto limit = params.Count("limit", 0);  // 0: all, as CKAN
  if (!limit.ok()) return limit.status();
  json::array names;
  std::vector<CkanPackage> all = CkanPackages(ctx.node);
  for (size_t i = *offset; i < all.size() && (*limit == 0 || names.size() < *limit); ++i)
    names.push_back(json::string(all[i].name));
  return json::value(std::move(names));
}

Result<json::value> PackageShow(const ApiContext& ctx, const CkanParams& params,
                                const std::string& base_url) {
  auto id = params.Required("id");
  if (!id.ok()) return id.status();
  auto pkg = FindCkanPackage(ctx.node, *id);
  if (!pkg.ok()) return pkg.status();
  auto out = CkanPackageJson(ctx.node, *pkg, base_url);
  if (!out.ok()) return out.status();
  return json::value(std::move(out).value());
}

Result<json::value> PackageSearch(const ApiContext& ctx, const CkanParams& params,
                                  const std::string& base_url) {
  auto q = params.Text("q");
  if (!q.ok()) return q.status();
  auto rows = params.Count("rows", kDefaultRows);
  if (!rows.ok()) return rows.status();
  auto start = params.Count("start", 0);
  if (!start.ok()) return start.status();
  json::array results;
  uint64_t count = 0;
  for (const CkanPackage& pkg : CkanPackages(ctx.node)) {
    auto json = CkanPackageJson(ctx.node, pkg, base_url);
    if (!json.ok()) return json.status();
    if (!CkanPackageMatches(*json, *q)) continue;
    if (count++ >= *start && results.size() < std::min(*rows, kMaxRows))
      results.push_back(std::move(json).value());
  }
  return json::value(json::object{{"count", count},
                                  {"results", std::move(results)},
                                  {"sort", "name asc"},
                                  {"facets", json::object()},
                                  {"search_facets", json::object()}});
}

Result<json::value> ResourceShow(const ApiContext& ctx, const CkanParams& params,
                                 const std::string& base_url) {
  auto id = params.Required("id");
  if (!id.ok()) return id.status();
  for (const CkanPackage& pkg : CkanPackages(ctx.node)) {
    node::Reader reader(ctx.node, pkg.id);
    auto dataset = FindCkanResource(reader, *id);
    if (!dataset.ok()) continue;
    auto out = CkanResourceJson(reader, *dataset, base_url);
    if (!out.ok()) return out.status();
    return json::value(std::move(out).value());
  }
  return Status::NotFound("no resource \"" + *id + "\"");
}

Result<json::value> StatusShow(const ApiContext& ctx, const CkanParams&,
                               const std::string& base_url) {
  return json::value(json::object{{"site_title", "Kongsi node " + ctx.node.identity().name()},
                                  {"site_description", "A Kongsi node's collections, read-only"},
                                  {"site_url", base_url},
                                  {"ckan_version", kCkanVersion},
                                  {"error_emails_to", nullptr},
                                  {"locale_default", "en"},
                                  {"extensions", json::array()}});
}

Result<json::value> SiteRead(const ApiContext&, const CkanParams&, const std::string&) {
  return json::value(true);
}

Result<json::value> HelpShow(const ApiContext&, const CkanParams& params, const std::string&);

struct ActionEntry {
  const char* name;
  Action run;
  const char* help;
};
constexpr ActionEntry kActions[] = {
    {"package_list", PackageList, "Names of every package (collection). limit, offset."},
    {"package_show", PackageShow, "One package by id or name, with its resources (datasets)."},
    {"package_search", PackageSearch,
     "Packages whose text contains every term of q; rows (10, at most 1000), start."},
    {"resource_show", ResourceShow, "One resource (dataset) by id; url downloads its CSV."},
    {"status_show", StatusShow, "The site: title, url, CKAN API version."},
    {"site_read", SiteRead, "true: the site may be read."},
    {"help_show", HelpShow, "What an action does. name."},
};

Result<json::value> HelpShow(const ApiContext&, const CkanParams& params, const std::string&) {
  auto name = params.Required("name");
  if (!name.ok()) return name.status();
  for (const ActionEntry& a : kActions) {
    if (*name == a.name) return json::value(a.help);
  }
  return Status::NotFound("no action \"" + *name + "\"");
}

Result<ApiResponse> RunAction(const ApiContext& ctx, const ApiRequest& request) {
  const std::string action = request.param("action");
  for (const ActionEntry& a : kActions) {
    if (action != a.name) continue;
    auto params = CkanParams::Of(request);
    if (!params.ok()) return params.status();
    auto result = a.run(ctx, *params, request.base_url);
    if (!result.ok()) return result.status();
    json::object out = Envelope(request.base_url, action);
    out["success"] = true;
    out["result"] = std::move(result).value();
    return ApiResponse::Json(std::move(out));
  }
  // CKAN answers an unknown action with 400 "Bad request".
  return CkanErrorResponse(ApiError{400, "bad_request", "Action name not known: " + action},
                           request.path, request.base_url);
}

Result<ApiResponse> Download(const ApiContext& ctx, const ApiRequest& request) {
  auto pkg = FindCkanPackage(ctx.node, request.param("package"));
  if (!pkg.ok()) return pkg.status();
  auto reader = std::make_shared<node::Reader>(ctx.node, pkg->id);
  auto dataset = FindCkanResource(*reader, request.param("resource"));
  if (!dataset.ok()) return dataset.status();
  ApiResponse response;
  response.content_type = "text/csv; charset=utf-8";
  response.stream = [reader, dataset = *dataset](std::ostream& out) {
    return node::ExportDataset(*reader, dataset, node::ExportFormat::kCsv, nullptr, false, out);
  };
  return response;
}

}  // namespace

ApiResponse CkanErrorResponse(const ApiError& error, std::string_view path,
                              const std::string& base_url) {
  int status = error.http_status;
  std::string type = status >= 500 ? "Internal Server Error" : "Bad Request";
  std::string message = error.message;
  if (error.code == CodeName(Status::Code::kNotFound)) {
    status = 404;
    type = "Not Found Error";
    message = "Not found: " + message;
  } else if (error.code == kErrorUnauthenticated ||
             error.code == CodeName(Status::Code::kPermissionDenied)) {
    status = 403;
    type = "Authorization Error";
    message = "Access denied: " + message;
  } else if (error.code == CodeName(Status::Code::kInvalidArgument)) {
    status = 409;
    type = "Validation Error";
  } else if (status == 400) {
    message = "Bad request - " + message;
  }
  json::object out = Envelope(base_url, ActionOf(path));
  out["success"] = false;
  out["error"] = json::object{{"__type", type}, {"message", message}};
  return ApiResponse::Json(std::move(out), status);
}

void AddCkanRoutes(ApiRouter& router) {
  for (const char* prefix : {"/api/3/action/{action}", "/api/action/{action}"}) {
    router.Add({"GET", prefix, ApiRole::kViewer, ApiBody::kNone, RunAction});
    router.Add({"POST", prefix, ApiRole::kViewer, ApiBody::kJson, RunAction});
  }
  router.Add({"GET", "/dataset/{package}/resource/{resource}/download/{file}", ApiRole::kViewer,
              ApiBody::kNone, Download});
}

}  // namespace kongsi::server
