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

#include "node/exporter.h"
#include "node/importer.h"
#include "node/reader.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"

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

// `tab` and `\t` because a literal tab is awkward to type in a shell.
bool ParseDelimiter(const std::string& text, char* out) {
  if (text == "tab" || text == "\\t" || text == "\t")
    *out = '\t';
  else if (text == "," || text == ";" || text == "|")
    *out = text[0];
  else
    return false;
  return true;
}

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
    std::cerr << fmt::format("\r{}{} {} rows\033[K", pass <= 1 ? "checking  " : "publishing", pct,
                             rows)
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

Status RunPublish(const CliContext& ctx, const PublishArgs& args) {
  node::PublishOptions options;
  if (!ParseDelimiter(args.delimiter, &options.delimiter)) {
    return Status::InvalidArgument("unknown delimiter \"" + args.delimiter + "\"");
  }
  auto opened = OpenCollection(ctx, args.collection);
  if (!opened.ok()) return opened.status();
  options.collection = opened->id;
  options.dataset = args.dataset;
  options.key_columns = args.key;
  options.schema_path = args.schema;
  options.encoding = args.encoding;
  options.message = args.message;

  std::unique_ptr<ProgressLine> progress;
  if (isatty(STDERR_FILENO)) {
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(args.file, ec);
    progress = std::make_unique<ProgressLine>(ec ? 0 : size);
    options.progress = [p = progress.get()](uint64_t rows, uint64_t bytes, int pass) {
      p->Update(rows, bytes, pass);
    };
  }
  auto report = node::Publish(*opened->node, args.file, options);
  progress.reset();
  if (!report.ok()) return report.status();

  node::Reader reader(*opened->node, opened->id);
  std::string version = reader.FormatVersion(report->version);
  if (ctx.json) {
    boost::json::array notes;
    for (const auto& n : report->notes) notes.push_back(boost::json::string(n));
    PrintJson(*ctx.out, boost::json::object{{"collection", node::HexId(opened->id)},
                                            {"dataset", args.dataset},
                                            {"rows_read", report->rows_read},
                                            {"rows_changed", report->rows_changed},
                                            {"ops", report->ops},
                                            {"commits", report->commits},
                                            {"blank_rows_skipped", report->blank_rows_skipped},
                                            {"created_dataset", report->created_dataset},
                                            {"synthetic_key", report->synthetic_key},
                                            {"version", version},
                                            {"vv", VersionJson(report->version)},
                                            {"notes", std::move(notes)}});
    return Status::Ok();
  }
  KeyValues kv;
  kv.Add("dataset", args.dataset + (report->created_dataset ? " (created)" : ""));
  kv.Add("rows read", std::to_string(report->rows_read));
  if (report->blank_rows_skipped > 0) {
    kv.Add("blank rows", std::to_string(report->blank_rows_skipped) + " skipped");
  }
  kv.Add("rows changed", std::to_string(report->rows_changed));
  kv.Add("ops", std::to_string(report->ops));
  kv.Add("commits", std::to_string(report->commits));
  kv.Add("version", version);
  kv.Print(*ctx.out);
  for (const auto& n : report->notes) *ctx.out << "note: " << n << '\n';
  return Status::Ok();
}

Status RunExport(const CliContext& ctx, const ExportArgs& args) {
  node::ExportFormat format = ctx.json ? node::ExportFormat::kJson : node::ExportFormat::kCsv;
  if (!args.format.empty() && !node::ParseExportFormat(args.format, &format)) {
    return Status::InvalidArgument("unknown format \"" + args.format + "\"");
  }
  auto opened = OpenCollection(ctx, args.collection);
  if (!opened.ok()) return opened.status();
  node::Reader reader(*opened->node, opened->id);
  std::optional<node::VersionVector> as_of;
  if (!args.as_of.empty()) {
    auto vv = reader.ResolveVersion(args.as_of);
    if (!vv.ok()) return vv.status();
    as_of = std::move(vv).value();
  }
  return node::ExportDataset(reader, args.dataset, format, as_of ? &*as_of : nullptr,
                             args.provenance, *ctx.out);
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
