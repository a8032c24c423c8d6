// `kongsi publish` (a CSV file or a Data Package in) and `kongsi export`
// (CSV / JSON / NDJSON / a Data Package out).

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/table_schema.h"
#include "server/api_json.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"
#include "server/cli_package.h"
#include "server/cli_progress.h"
#include "server/data_file.h"

namespace kongsi::server {
namespace {

struct PublishArgs {
  std::string file;
  std::string collection;
  std::string dataset;
  std::vector<std::string> key;
  std::string schema;
  std::string delimiter = ",";
  std::string encoding;
  std::string message;
  bool lenient = false;
  bool recheck = false;
};

struct ExportArgs {
  std::string collection;
  std::string dataset;
  std::string format;  // empty: csv, or json under --json
  std::string as_of;
  bool provenance = false;
  std::string out;  // datapackage: the folder
};

// What the API's progress passes are (server/cli_client.h).
const char* PassLabel(int pass) {
  return pass == 0 ? "uploading" : pass == 1 ? "checking" : "publishing";
}

// The schema travels as text (the `schema` query parameter): the node may
// be elsewhere.
Result<std::string> ReadSchema(const std::string& path) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > node::kMaxSchemaJsonBytes) {
    return Status::ResourceExhausted(path + ": schema file over " +
                                     std::to_string(node::kMaxSchemaJsonBytes) + " bytes");
  }
  return ReadSmallFile(path, node::kMaxSchemaJsonBytes);
}

Status RunPublishPackage(CliContext& ctx, const PublishArgs& args) {
  auto packed = PackPackage(args.file);
  if (!packed.ok()) return packed.status();
  ApiCall call{"PUT", ApiPath({"v1", "collections", args.collection, "datapackage"})};
  for (const auto& k : args.key) call.query.emplace_back("key", k);
  if (args.lenient) call.query.emplace_back("lenient", "true");
  if (args.recheck) call.query.emplace_back("recheck", "true");
  if (!args.message.empty()) call.query.emplace_back("message", args.message);
  call.upload_path = packed->tar_path;
  std::error_code ec;
  const uint64_t tar_bytes = std::filesystem::file_size(packed->tar_path, ec);
  auto progress = Progress::ForStderr(ctx.json);
  // Checking reads every data file once, publishing twice.
  call.progress = PassCounter(progress.get(), [&](int pass) {
    uint64_t total = pass == 0 ? tar_bytes : pass == 1 ? packed->data_bytes : 2 * packed->data_bytes;
    return std::make_pair(std::string(PassLabel(pass)), total);
  });
  return CallAndPrint(ctx, call, [&](const boost::json::value& doc) {
    progress->Clear();
    Table table({"RESOURCE", "DATASET", "ROWS", "CHANGED", "NOTE"});
    for (const auto& r : doc.at("resources").as_array()) {
      const bool skipped = r.at("skipped").as_bool();
      std::string note = skipped ? "skipped: " + Text(r, "skip_reason") : "";
      for (const auto& n : r.at("notes").as_array())
        note += (note.empty() ? "" : "; ") + std::string(n.as_string());
      table.AddRow({Text(r, "resource"), Text(r, "dataset"), skipped ? "-" : Text(r, "rows_read"),
                    skipped ? "-" : Text(r, "rows_changed"), note});
    }
    *ctx.out << "package " << Text(doc, "package") << " into " << args.collection << '\n';
    table.Print(*ctx.out);
    *ctx.out << "version " << Text(doc, "version") << '\n';
  });
}

Status RunPublish(CliContext& ctx, const PublishArgs& args) {
  if (IsPackagePath(args.file)) return RunPublishPackage(ctx, args);
  ApiCall call{"PUT", ApiPath({"v1", "collections", args.collection, "datasets", args.dataset})};
  if (!args.key.empty()) {
    std::string keys;
    for (const auto& k : args.key) keys += (keys.empty() ? "" : ",") + k;
    call.query.emplace_back("key", keys);
  }
  call.query.emplace_back("delimiter", args.delimiter);
  if (!args.encoding.empty()) call.query.emplace_back("encoding", args.encoding);
  if (!args.message.empty()) call.query.emplace_back("message", args.message);
  if (args.recheck) call.query.emplace_back("recheck", "true");
  if (!args.schema.empty()) {
    auto schema = ReadSchema(args.schema);
    if (!schema.ok()) return schema.status();
    call.query.emplace_back("schema", *schema);
    call.query.emplace_back("schema_source", args.schema);
  }
  call.query.emplace_back("source", args.file);
  call.upload_path = args.file;

  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(args.file, ec);
  auto progress = Progress::ForStderr(ctx.json);
  // Each pass reads the whole file: uploading (to a running node),
  // checking, publishing.
  call.progress = PassCounter(progress.get(), [size](int pass) {
    return std::make_pair(std::string(PassLabel(pass)), size);
  });
  return CallAndPrint(ctx, call, [&](const boost::json::value& doc) {
    progress->Clear();
    KeyValues kv;
    kv.Add("dataset", args.dataset + (doc.at("created_dataset").as_bool() ? " (created)" : ""));
    kv.Add("rows read", Text(doc, "rows_read"));
    if (doc.at("blank_rows_skipped").to_number<uint64_t>() > 0) {
      kv.Add("blank rows", Text(doc, "blank_rows_skipped") + " skipped");
    }
    kv.Add("rows changed", Text(doc, "rows_changed"));
    kv.Add("ops", Text(doc, "ops"));
    kv.Add("commits", Text(doc, "commits"));
    kv.Add("version", Text(doc, "version"));
    kv.Print(*ctx.out);
    for (const auto& n : doc.at("notes").as_array())
      *ctx.out << "note: " << n.as_string().c_str() << '\n';
  });
}

Status RunExportPackage(CliContext& ctx, const ExportArgs& args) {
  auto progress = Progress::ForStderr(ctx.json);
  auto files = DownloadPackage(ctx, {args.collection, args.provenance, args.as_of}, args.out,
                               progress.get());
  progress->Clear();
  if (!files.ok()) return files.status();
  if (ctx.json) {
    boost::json::array list;
    for (const auto& f : *files) list.push_back(boost::json::string(f));
    PrintJson(*ctx.out, boost::json::object{{"out", args.out}, {"files", std::move(list)}});
  } else {
    for (const auto& f : *files) *ctx.out << (std::filesystem::path(args.out) / f).string() << '\n';
  }
  return Status::Ok();
}

Status RunExport(CliContext& ctx, const ExportArgs& args) {
  if (args.format == "datapackage") return RunExportPackage(ctx, args);
  ApiCall call{"GET",
               ApiPath({"v1", "collections", args.collection, "datasets", args.dataset, "export"})};
  call.query.emplace_back("format", !args.format.empty() ? args.format : ctx.json ? "json" : "csv");
  if (!args.as_of.empty()) call.query.emplace_back("as_of", args.as_of);
  if (args.provenance) call.query.emplace_back("provenance", "true");
  auto api = ctx.Api();
  if (!api.ok()) return api.status();
  return (*api)->Stream(call, *ctx.out);
}

}  // namespace

void AddDataCommands(CLI::App& app, CliContext& ctx) {
  auto pub = std::make_shared<PublishArgs>();
  CLI::App* publish = app.add_subcommand(
      "publish", "Publish a CSV file into a dataset, or a Data Package into datasets");
  publish->add_option("file", pub->file, "CSV file, or datapackage.json (or its folder)")
      ->required()
      ->check(CLI::ExistingPath);
  publish->add_option("--collection", pub->collection, "Collection name or ID")->required();
  publish->add_option("--dataset", pub->dataset,
                      "Dataset name (created on first publish); required for a CSV file");
  publish->add_option("--key", pub->key,
                      "Primary-key column(s), comma-separated; for a package RESOURCE:COLUMN")
      ->delimiter(',');
  publish->add_flag("--lenient", pub->lenient,
                    "Data Package: import fields whose cells contradict their declared type "
                    "with the type the cells have");
  publish->add_option("--schema", pub->schema, "Frictionless Table Schema JSON file")
      ->check(CLI::ExistingFile);
  publish->add_option("--delimiter", pub->delimiter, "Field delimiter: , ; tab \\t |  (default ,)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            char c;
            return ParseDelimiter(text, &c) ? "" : "must be one of , ; tab \\t |";
          },
          "DELIM"));
  publish->add_option("--encoding", pub->encoding, "Input encoding (default UTF-8)");
  publish->add_option("--message", pub->message, "Commit note");
  publish->add_flag("--recheck", pub->recheck,
                    "Compare every row even when the file and the collection are unchanged since "
                    "the dataset's last publish (then skipped by default)");
  // Which options go together depends on what the file is: checked once
  // parsed, so a mistake is a usage error (exit 2) before anything is opened.
  publish->parse_complete_callback([pub] {
    if (IsPackagePath(pub->file)) {
      if (!pub->dataset.empty() || !pub->schema.empty()) {
        throw CLI::ValidationError("--dataset/--schema",
                                   "a Data Package names its datasets and schemas");
      }
    } else {
      if (pub->dataset.empty()) {
        throw CLI::RequiredError("--dataset (a CSV file; a Data Package is a folder or .json)");
      }
      if (pub->lenient) throw CLI::ValidationError("--lenient", "is for Data Packages");
    }
  });
  OnRun(publish, ctx, [&ctx, pub] { return RunPublish(ctx, *pub); });

  auto exp = std::make_shared<ExportArgs>();
  CLI::App* exporter = app.add_subcommand(
      "export", "Write a dataset to stdout, or the collection as a Data Package folder");
  exporter->add_option("--collection", exp->collection, "Collection name or ID")->required();
  exporter->add_option("--dataset", exp->dataset, "Dataset name (not with datapackage)");
  exporter->add_option("--format", exp->format, "csv (default), json, ndjson or datapackage")
      ->check(CLI::IsMember({"csv", "json", "ndjson", "datapackage"}));
  exporter->add_option("--out", exp->out, "datapackage: the folder to write");
  exporter->add_option("--as-of", exp->as_of, "A tag or a version (AUTHOR:SEQ,...)");
  exporter->add_flag("--provenance", exp->provenance, "Also say which node wrote each cell");
  exporter->parse_complete_callback([exp] {
    if (exp->format == "datapackage") {
      if (exp->out.empty()) throw CLI::RequiredError("--out (with --format datapackage)");
      if (!exp->dataset.empty()) {
        throw CLI::ValidationError("--dataset", "--format datapackage exports every dataset");
      }
    } else {
      if (exp->dataset.empty()) throw CLI::RequiredError("--dataset");
      if (!exp->out.empty()) throw CLI::ValidationError("--out", "is for --format datapackage");
    }
  });
  OnRun(exporter, ctx, [&ctx, exp] { return RunExport(ctx, *exp); });

  AddPullCommand(app, ctx);
}

}  // namespace kongsi::server
