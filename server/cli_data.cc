// `kongsi publish` (CSV in) and `kongsi export` (CSV / JSON / NDJSON out).
#include <fmt/format.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
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
};

struct ExportArgs {
  std::string collection;
  std::string dataset;
  std::string format;  // empty: csv, or json under --json
  std::string as_of;
  bool provenance = false;
};

// A one-line progress display on stderr, redrawn at most ten times a
// second. Only used when stderr is a terminal: logs and pipes stay clean.
class ProgressLine {
 public:
  explicit ProgressLine(uint64_t total_bytes) : total_(total_bytes) {}
  ~ProgressLine() { Clear(); }

  void Update(uint64_t rows, uint64_t bytes, int pass) {
    auto now = std::chrono::steady_clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    shown_ = true;
    std::string pct =
        total_ > 0 ? fmt::format(" {:3d}%", static_cast<int>(bytes * 100 / total_)) : "";
    // Pass 0 is the upload to a running node, which counts bytes only.
    const char* what = pass == 0 ? "uploading " : pass == 1 ? "checking  " : "publishing";
    std::cerr << (pass == 0 ? fmt::format("\r{}{}\033[K", what, pct)
                            : fmt::format("\r{}{} {} rows\033[K", what, pct, rows))
              << std::flush;
  }
  void Clear() {
    if (shown_) std::cerr << "\r\033[K" << std::flush;
    shown_ = false;
  }

 private:
  uint64_t total_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_;
};

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

Status RunPublish(CliContext& ctx, const PublishArgs& args) {
  ApiCall call{"PUT", ApiPath({"v1", "collections", args.collection, "datasets", args.dataset})};
  if (!args.key.empty()) {
    std::string keys;
    for (const auto& k : args.key) keys += (keys.empty() ? "" : ",") + k;
    call.query.emplace_back("key", keys);
  }
  call.query.emplace_back("delimiter", args.delimiter);
  if (!args.encoding.empty()) call.query.emplace_back("encoding", args.encoding);
  if (!args.message.empty()) call.query.emplace_back("message", args.message);
  if (!args.schema.empty()) {
    auto schema = ReadSchema(args.schema);
    if (!schema.ok()) return schema.status();
    call.query.emplace_back("schema", *schema);
    call.query.emplace_back("schema_source", args.schema);
  }
  call.query.emplace_back("source", args.file);
  call.upload_path = args.file;

  std::unique_ptr<ProgressLine> progress;
  if (isatty(STDERR_FILENO)) {
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(args.file, ec);
    progress = std::make_unique<ProgressLine>(ec ? 0 : size);
    call.progress = [p = progress.get()](uint64_t rows, uint64_t bytes, int pass) {
      p->Update(rows, bytes, pass);
    };
  }
  return CallAndPrint(ctx, call, [&](const boost::json::value& doc) {
    progress.reset();
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

Status RunExport(CliContext& ctx, const ExportArgs& args) {
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
  CLI::App* publish = app.add_subcommand("publish", "Publish a CSV file into a dataset");
  publish->add_option("file", pub->file, "CSV file")->required()->check(CLI::ExistingFile);
  publish->add_option("--collection", pub->collection, "Collection name or ID")->required();
  publish->add_option("--dataset", pub->dataset, "Dataset name (created on first publish)")
      ->required();
  publish->add_option("--key", pub->key, "Primary-key column(s), comma-separated")->delimiter(',');
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
  OnRun(publish, ctx, [&ctx, pub] { return RunPublish(ctx, *pub); });

  auto exp = std::make_shared<ExportArgs>();
  CLI::App* exporter = app.add_subcommand("export", "Write a dataset to stdout");
  exporter->add_option("--collection", exp->collection, "Collection name or ID")->required();
  exporter->add_option("--dataset", exp->dataset, "Dataset name")->required();
  exporter->add_option("--format", exp->format, "csv (default), json or ndjson")
      ->check(CLI::IsMember({"csv", "json", "ndjson"}));
  exporter->add_option("--as-of", exp->as_of, "A tag or a version (AUTHOR:SEQ,...)");
  exporter->add_flag("--provenance", exp->provenance, "Also say which node wrote each cell");
  OnRun(exporter, ctx, [&ctx, exp] { return RunExport(ctx, *exp); });
}

}  // namespace kongsi::server
