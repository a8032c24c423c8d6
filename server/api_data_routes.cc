// Data in and out of a dataset:
//   PUT /v1/collections/{collection}/datasets/{dataset}         publish a CSV body
//   GET /v1/collections/{collection}/datasets/{dataset}/export  CSV / JSON / NDJSON
// Both stream: the upload arrives as a file (spooled by the HTTP server, or
// the user's own file in-process) and the export is written as it is read.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>

#include "node/exporter.h"
#include "node/importer.h"
#include "node/reader.h"
#include "node/table_schema.h"
#include "server/api_json.h"
#include "server/api_router.h"
#include "server/api_spool.h"

namespace kongsi::server {
namespace {

Status QueryError(const char* name, const std::string& why) {
  return Status::InvalidArgument(std::string("query parameter ") + name + ": " + why);
}

Result<ApiResponse> Publish(const ApiContext& ctx, const ApiRequest& request) {
  if (request.upload_path.empty())
    return Status::InvalidArgument("request body: a CSV file is required");
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::PublishOptions options;
  options.collection = *coll;
  options.dataset = request.param("dataset");
  options.key_columns =
      request.HasQuery("key") ? request.QueryList("key") : std::vector<std::string>{};
  std::string delimiter = request.Query("delimiter", ",");
  if (!ParseDelimiter(delimiter, &options.delimiter)) {
    return QueryError("delimiter", "\"" + delimiter + "\" is not one of , ; tab |");
  }
  options.encoding = request.Query("encoding");
  options.message = request.Query("message");
  options.progress = request.progress;
  auto recheck = request.QueryBool("recheck");
  if (!recheck.ok()) return recheck.status();
  options.recheck = *recheck;
  // The importer reads the schema from a file, like the CSV.
  std::unique_ptr<SpoolFile> schema_file;
  if (request.HasQuery("schema")) {
    std::string schema = request.Query("schema");
    if (schema.size() > node::kMaxSchemaJsonBytes) {
      return Status::ResourceExhausted("query parameter schema: over " +
                                       std::to_string(node::kMaxSchemaJsonBytes) + " bytes");
    }
    auto spooled = SpoolFile::Create(ctx.data_dir, ".json");
    if (!spooled.ok()) return spooled.status();
    schema_file = std::move(spooled).value();
    KONGSI_RETURN_IF_ERROR(schema_file->Write(schema));
    options.schema_path = schema_file->path();
  }

  auto report = node::Publish(ctx.node, request.upload_path, options);
  if (!report.ok()) {
    // Name what the client sent, not where this process put it.
    std::string message = RenamePathInMessage(report.status().message(), request.upload_path,
                                              request.Query("source", "request body"));
    if (schema_file) {
      message = RenamePathInMessage(std::move(message), schema_file->path(),
                                    request.Query("schema_source", "schema"));
    }
    return MakeStatus(report.status().code(), std::move(message));
  }
  node::Reader reader(ctx.node, *coll);
  boost::json::array notes;
  for (const auto& n : report->notes) notes.push_back(boost::json::string(n));
  return ApiResponse::Json(boost::json::object{{"collection", node::HexId(*coll)},
                                               {"dataset", options.dataset},
                                               {"rows_read", report->rows_read},
                                               {"rows_changed", report->rows_changed},
                                               {"ops", report->ops},
                                               {"commits", report->commits},
                                               {"blank_rows_skipped", report->blank_rows_skipped},
                                               {"created_dataset", report->created_dataset},
                                               {"synthetic_key", report->synthetic_key},
                                               {"unchanged", report->unchanged},
                                               {"version", reader.FormatVersion(report->version)},
                                               {"vv", VersionJson(report->version)},
                                               {"notes", std::move(notes)}});
}

const char* ContentType(node::ExportFormat format) {
  switch (format) {
    case node::ExportFormat::kJson:
      return "application/json";
    case node::ExportFormat::kNdjson:
      return "application/x-ndjson";
    case node::ExportFormat::kCsv:
      break;
  }
  return "text/csv; charset=utf-8";
}

Result<ApiResponse> Export(const ApiContext& ctx, const ApiRequest& request) {
  node::ExportFormat format = node::ExportFormat::kCsv;
  std::string format_text = request.Query("format", "csv");
  if (!node::ParseExportFormat(format_text, &format)) {
    return QueryError("format", "\"" + format_text + "\" is not csv, json or ndjson");
  }
  auto provenance = request.QueryBool("provenance");
  if (!provenance.ok()) return provenance.status();
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  // Everything that can fail for a reason the client should hear as a
  // status code is checked here, before the first byte goes out.
  auto reader = std::make_shared<node::Reader>(ctx.node, *coll);
  const std::string dataset = request.param("dataset");
  KONGSI_RETURN_IF_ERROR(RequireDataset(*reader, dataset));
  std::optional<node::VersionVector> as_of;
  if (!request.Query("as_of").empty()) {
    auto vv = reader->ResolveVersion(request.Query("as_of"));
    if (!vv.ok()) return vv.status().WithContext("as_of");
    as_of = std::move(vv).value();
  }
  ApiResponse response;
  response.content_type = ContentType(format);
  response.stream = [reader, dataset, format, as_of, provenance = *provenance](std::ostream& out) {
    return node::ExportDataset(*reader, dataset, format, as_of ? &*as_of : nullptr, provenance,
                               out);
  };
  return response;
}

}  // namespace

void AddDataRoutes(ApiRouter& router) {
  router.Add({"PUT", "/v1/collections/{collection}/datasets/{dataset}", ApiRole::kPublisher,
              ApiBody::kUpload, Publish});
  router.Add({"GET", "/v1/collections/{collection}/datasets/{dataset}/export", ApiRole::kViewer,
              ApiBody::kNone, Export});
}

}  // namespace kongsi::server
