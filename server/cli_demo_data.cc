// The demo's input (a real table from ../shared/data, split between the
// organisations) and its summary of the merged result.
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "node/csv_reader.h"
#include "node/exporter.h"
#include "server/demo.h"

namespace kongsi::server::demo {
namespace {

namespace fs = std::filesystem;

// A file every candidate must hold to count as the shared data dir.
constexpr char kMarker[] = "gdp/data/gdp.csv";

std::string SelfDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

}  // namespace

Result<std::string> FindSharedData(const std::string& flag) {
  std::vector<std::pair<std::string, std::string>> tried;  // (path, where it came from)
  if (!flag.empty()) {
    tried.emplace_back(flag, "--shared-data");
  } else {
    if (const char* env = std::getenv("KONGSI_SHARED_DATA"); env && *env) {
      tried.emplace_back(env, "$KONGSI_SHARED_DATA");
    }
    tried.emplace_back("../shared/data", "the working directory");
    // build/bin/kongsi in a clone that has ../shared/data beside it.
    if (std::string self = SelfDir(); !self.empty()) {
      tried.emplace_back((fs::path(self) / "../../../shared/data").lexically_normal().string(), "the binary");
    }
  }
  std::string list;
  std::error_code ec;
  for (const auto& [path, from] : tried) {
    if (fs::is_regular_file(fs::path(path) / kMarker, ec)) return fs::absolute(path).lexically_normal().string();
    list += (list.empty() ? "" : ", ") + path + " (" + from + ")";
  }
  return Status::NotFound(std::string("no shared data dir with ") + kMarker + " found; tried " + list +
                          "; pass --shared-data DIR");
}

Result<std::vector<uint64_t>> SplitCsvByColumn(const std::string& csv_path, const std::string& column,
                                               const std::vector<int64_t>& upper_bounds,
                                               const std::vector<std::string>& paths) {
  if (paths.size() != upper_bounds.size() + 1) return Status::InvalidArgument("one more part than bounds");
  auto reader = node::CsvReader::Open(csv_path);
  if (!reader.ok()) return reader.status();
  std::vector<std::string> fields;
  auto more = (*reader)->Next(&fields);
  if (!more.ok()) return more.status();
  size_t col = 0;
  while (col < fields.size() && fields[col] != column) ++col;
  if (col == fields.size()) return Status::InvalidArgument(csv_path + " has no column \"" + column + "\"");

  auto line_of = [](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) line.push_back(',');
      node::AppendCsvField(row[i], ',', &line);
    }
    line.push_back('\n');
    return line;
  };
  std::vector<std::ofstream> outs;
  for (const auto& p : paths) {
    outs.emplace_back(p, std::ios::binary | std::ios::trunc);
    outs.back() << line_of(fields);
  }
  std::vector<uint64_t> counts(paths.size(), 0);
  while (true) {
    more = (*reader)->Next(&fields);
    if (!more.ok()) return more.status();
    if (!*more) break;
    char* end = nullptr;
    const int64_t v = std::strtoll(fields[col].c_str(), &end, 10);
    if (fields[col].empty() || *end != '\0') {
      return Status::InvalidArgument(csv_path + " line " + std::to_string((*reader)->line()) + ": \"" +
                                     fields[col] + "\" in column " + column + " is not an integer");
    }
    size_t part = 0;
    while (part < upper_bounds.size() && v >= upper_bounds[part]) ++part;
    outs[part] << line_of(fields);
    ++counts[part];
  }
  for (size_t i = 0; i < outs.size(); ++i) {
    outs[i].close();
    if (!outs[i]) return Status::IoError("cannot write " + paths[i]);
  }
  return counts;
}

Result<MergedSummary> SummariseDataset(DemoNode& node, const std::string& collection,
                                       const std::string& dataset, const std::string& key_column) {
  ApiCall call{"GET", ApiPath({"v1", "collections", collection, "datasets", dataset, "export"})};
  call.query = {{"format", "ndjson"}, {"provenance", "true"}};
  std::stringstream rows;
  KONGSI_RETURN_IF_ERROR(node.Stream(call, rows));
  MergedSummary summary;
  std::string line;
  while (std::getline(rows, line)) {
    if (line.empty()) continue;
    boost::system::error_code ec;
    boost::json::value row = boost::json::parse(line, ec);
    const boost::json::value* by = ec || !row.is_object() ? nullptr : row.as_object().if_contains("_by");
    const boost::json::value* author =
        by && by->is_object() ? by->as_object().if_contains(key_column) : nullptr;
    if (!author || !author->is_string()) {
      return Status::Internal("export row " + std::to_string(summary.rows + 1) + " has no _by." + key_column);
    }
    ++summary.rows;
    ++summary.rows_by_node[std::string(author->as_string())];
  }
  return summary;
}

}  // namespace kongsi::server::demo
