// Frictionless Data Packages in and out of a collection (docs/DATA_PACKAGES.md):
//   PUT /v1/collections/{collection}/datapackage  publish a package sent as a tar
//   GET /v1/collections/{collection}/datapackage  the merged collection as a tar
// A tar because any HTTP client can send and read one (server/api_tar.h).
// The upload is unpacked into a spool folder and published from there; the
// download is exported into one and streamed from there, so every error
// the client should hear as a status code comes before the first byte.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/data_package.h"
#include "node/reader.h"
#include "server/api_json.h"
#include "server/api_router.h"
#include "server/api_spool.h"
#include "server/api_tar.h"

namespace kongsi::server {
namespace {

namespace json = boost::json;

constexpr char kDescriptor[] = "datapackage.json";

// Where the descriptor is in the unpacked upload: at the top, or in the one
// folder at the top (`tar cf - mypackage/`).
Result<std::string> FindDescriptor(const std::vector<std::string>& files) {
  std::vector<std::string> nested;
  for (const auto& f : files) {
    if (f == kDescriptor) return f;
    size_t slash = f.find('/');
    if (slash != std::string::npos && f.substr(slash + 1) == kDescriptor) nested.push_back(f);
  }
  if (nested.size() == 1) return nested.front();
  std::string listed;
  for (size_t i = 0; i < files.size() && i < 5; ++i) listed += (i ? ", " : "") + files[i];
  return Status::InvalidArgument(
      std::string("request body: the archive has no ") + kDescriptor +
      (nested.empty() ? " at its top level" : " at its top level but several in folders") +
      (files.empty() ? " (it holds no files)" : " (it holds " + listed + (files.size() > 5 ? ", ..." : "") + ")"));
}

// key=RESOURCE:COLUMN, repeated or comma-separated, for tables without a
// primaryKey.
Result<std::map<std::string, std::vector<std::string>>> KeyColumns(const ApiRequest& request) {
  std::map<std::string, std::vector<std::string>> out;
  if (!request.HasQuery("key")) return out;
  for (const std::string& k : request.QueryList("key")) {
    size_t colon = k.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == k.size()) {
      return Status::InvalidArgument("query parameter key: \"" + k + "\" is not RESOURCE:COLUMN");
    }
    out[k.substr(0, colon)].push_back(k.substr(colon + 1));
  }
  return out;
}

// `spool` is the folder the upload was unpacked into: notes name files as
// they are in the package.
json::object ResourceJson(const node::Reader& reader, const node::ResourceReport& r,
                          const std::string& spool) {
  auto named = [&](const std::string& text) { return RenamePathInMessage(text, spool, ""); };
  json::array notes;
  for (const auto& n : r.notes) notes.push_back(json::string(named(n)));
  json::object o{{"resource", r.resource}, {"dataset", r.dataset}, {"path", named(r.path)},
                 {"skipped", r.skipped}};
  if (r.skipped) {
    o["skip_reason"] = named(r.skip_reason);
  } else {
    o["rows_read"] = r.publish.rows_read;
    o["rows_changed"] = r.publish.rows_changed;
    o["ops"] = r.publish.ops;
    o["created_dataset"] = r.publish.created_dataset;
    o["version"] = reader.FormatVersion(r.publish.version);
  }
  o["notes"] = std::move(notes);
  return o;
}

Result<ApiResponse> PublishPackage(const ApiContext& ctx, const ApiRequest& request) {
  if (request.upload_path.empty()) {
    return Status::InvalidArgument("request body: a tar archive of the package folder is required");
  }
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::PackagePublishOptions options;
  options.collection = *coll;
  auto lenient = request.QueryBool("lenient");
  if (!lenient.ok()) return lenient.status();
  options.lenient = *lenient;
  auto recheck = request.QueryBool("recheck");
  if (!recheck.ok()) return recheck.status();
  options.recheck = *recheck;
  auto keys = KeyColumns(request);
  if (!keys.ok()) return keys.status();
  options.key_columns = std::move(keys).value();
  options.message = request.Query("message");
  if (request.progress) {
    // The package's passes are 0 (check) and 1, 2 (publish); the API's
    // progress counts 1 checking, 2 and on publishing.
    options.progress = [cb = request.progress](const std::string&, uint64_t rows, uint64_t bytes,
                                               int pass) { cb(rows, bytes, pass + 1); };
  }

  auto spool = SpoolDir::Create(ctx.data_dir);
  if (!spool.ok()) return spool.status();
  const std::string dir = (*spool)->path();
  auto files = ExtractTar(request.upload_path, dir, TarLimits{});
  if (!files.ok()) return files.status().WithContext("request body");
  auto descriptor = FindDescriptor(*files);
  if (!descriptor.ok()) return descriptor.status();
  auto report = node::PublishDataPackage(ctx.node, dir + "/" + *descriptor, options);
  if (!report.ok()) {
    // Name the files as they are in the package, not where they were put.
    return MakeStatus(report.status().code(),
                      RenamePathInMessage(report.status().message(), dir + "/", ""));
  }
  node::Reader reader(ctx.node, *coll);
  json::array resources;
  for (const auto& r : report->resources) {
    resources.push_back(ResourceJson(reader, r, dir + "/"));
  }
  return ApiResponse::Json(json::object{{"collection", node::HexId(*coll)},
                                        {"package", report->package},
                                        {"resources", std::move(resources)},
                                        {"metadata_changed", report->metadata_changed},
                                        {"version", reader.FormatVersion(report->version)},
                                        {"vv", VersionJson(report->version)}});
}

Result<ApiResponse> ExportPackage(const ApiContext& ctx, const ApiRequest& request) {
  auto provenance = request.QueryBool("provenance");
  if (!provenance.ok()) return provenance.status();
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::Reader reader(ctx.node, *coll);
  node::PackageExportOptions options;
  options.provenance = *provenance;
  if (!request.Query("as_of").empty()) {
    auto vv = reader.ResolveVersion(request.Query("as_of"));
    if (!vv.ok()) return vv.status().WithContext("as_of");
    options.as_of = std::move(vv).value();
  }
  auto spool = SpoolDir::Create(ctx.data_dir);
  if (!spool.ok()) return spool.status();
  auto report = node::ExportDataPackage(reader, (*spool)->path(), options);
  if (!report.ok()) return report.status();
  std::vector<std::string> files{kDescriptor};
  for (const auto& d : report->datasets) files.push_back(d.path);
  ApiResponse response;
  response.content_type = "application/x-tar";
  std::shared_ptr<SpoolDir> folder = std::move(spool).value();
  response.stream = [folder, files = std::move(files)](std::ostream& out) {
    return WriteTar(folder->path(), files, out);
  };
  return response;
}

}  // namespace

void AddPackageRoutes(ApiRouter& router) {
  router.Add({"PUT", "/v1/collections/{collection}/datapackage", ApiRole::kPublisher,
              ApiBody::kUpload, PublishPackage});
  router.Add({"GET", "/v1/collections/{collection}/datapackage", ApiRole::kViewer,
              ApiBody::kNone, ExportPackage});
}

}  // namespace kongsi::server
