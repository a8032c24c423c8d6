#include "node/exporter.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "node/record_merge.h"
#include "node/value_text.h"

namespace kongsi::node {
namespace {

// One output column: a schema field, and where its value lives in a record.
struct Column {
  std::string name;
  std::optional<int> key_index;  // set for primary-key fields
};

std::vector<Column> ColumnsFor(const v1::Schema& schema, bool provenance) {
  auto key_index = [&](const std::string& name) -> std::optional<int> {
    for (int i = 0; i < schema.primary_key_size(); ++i) {
      if (schema.primary_key(i) == name) return i;
    }
    return std::nullopt;
  };
  std::vector<Column> columns;
  // The synthetic key is not part of the source table: it only appears when
  // provenance is asked for, where it names the row the `.by` cells belong
  // to. Put it first even if the schema does not list it as a field.
  if (schema.synthetic_key() && provenance) {
    for (int i = 0; i < schema.primary_key_size(); ++i) {
      columns.push_back({schema.primary_key(i), i});
    }
  }
  for (const auto& field : schema.fields()) {
    std::optional<int> k = key_index(field.name());
    if (schema.synthetic_key() && k) continue;  // handled above
    columns.push_back({field.name(), k});
  }
  return columns;
}

// The visible value of one column of `record` and the raw author key of
// whoever wrote it (empty when no one did, i.e. the value is null).
struct CellOut {
  v1::Value value;  // null unless set
  std::string author;
};

CellOut CellOf(const v1::RecordState& record, const Column& column) {
  CellOut out;
  if (column.key_index) {
    if (*column.key_index < record.key_size()) out.value = record.key(*column.key_index);
    out.author = record.last_upsert().author();
    return out;
  }
  const v1::CellState* cell = FindCell(record, column.name);
  if (cell == nullptr) return out;
  CellView view = ViewCell(record, *cell);
  if (!view.visible) return out;
  out.value = cell->value();
  out.author = cell->by().author();
  return out;
}

class CsvWriter {
 public:
  CsvWriter(const Reader& reader, std::vector<Column> columns, bool provenance, std::ostream& out)
      : reader_(reader), columns_(std::move(columns)), provenance_(provenance), out_(out) {}

  void Header() {
    std::vector<std::string> names;
    for (const auto& c : columns_) names.push_back(c.name);
    if (provenance_) {
      for (const auto& c : columns_) names.push_back(c.name + ".by");
    }
    WriteRow(names);
  }

  void Record(const v1::RecordState& record) {
    std::vector<std::string> cells;
    std::vector<std::string> by;
    for (const auto& c : columns_) {
      CellOut cell = CellOf(record, c);
      cells.push_back(RenderText(cell.value));
      if (provenance_) by.push_back(cell.author.empty() ? "" : Label(cell.author));
    }
    for (auto& b : by) cells.push_back(std::move(b));
    WriteRow(cells);
  }

 private:
  void WriteRow(const std::vector<std::string>& cells) {
    line_.clear();
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) line_.push_back(',');
      AppendCsvField(cells[i], ',', &line_);
    }
    // A lone empty field would be an empty line, which CSV readers skip as
    // blank; quoting it keeps the row.
    if (cells.size() == 1 && cells[0].empty()) line_ = "\"\"";
    line_.push_back('\n');
    out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
  }

  // Node ID text per author key; a dataset has few authors, so memoise.
  const std::string& Label(const std::string& author) {
    auto it = labels_.find(author);
    if (it == labels_.end()) it = labels_.emplace(author, reader_.AuthorLabel(author)).first;
    return it->second;
  }

  const Reader& reader_;
  std::vector<Column> columns_;
  bool provenance_;
  std::ostream& out_;
  std::string line_;
  std::map<std::string, std::string> labels_;
};

class JsonWriter {
 public:
  JsonWriter(const Reader& reader, std::vector<Column> columns, bool provenance, bool ndjson,
             std::ostream& out)
      : reader_(reader),
        columns_(std::move(columns)),
        provenance_(provenance),
        ndjson_(ndjson),
        out_(out) {}

  void Begin() {
    if (!ndjson_) out_ << '[';
  }

  void Record(const v1::RecordState& record) {
    boost::json::object obj;
    boost::json::object by;
    for (const auto& c : columns_) {
      CellOut cell = CellOf(record, c);
      obj[c.name] = ValueToJson(cell.value);
      if (provenance_ && !cell.author.empty()) by[c.name] = Label(cell.author);
    }
    if (provenance_) obj["_by"] = std::move(by);
    if (!ndjson_) out_ << (first_ ? "\n" : ",\n");
    first_ = false;
    out_ << boost::json::serialize(obj);
    if (ndjson_) out_ << '\n';
  }

  void End() {
    if (!ndjson_) out_ << (first_ ? "]\n" : "\n]\n");
  }

 private:
  const std::string& Label(const std::string& author) {
    auto it = labels_.find(author);
    if (it == labels_.end()) it = labels_.emplace(author, reader_.AuthorLabel(author)).first;
    return it->second;
  }

  const Reader& reader_;
  std::vector<Column> columns_;
  bool provenance_;
  bool ndjson_;
  std::ostream& out_;
  bool first_ = true;
  std::map<std::string, std::string> labels_;
};

}  // namespace

bool ParseExportFormat(std::string_view text, ExportFormat* format) {
  if (text == "csv")
    *format = ExportFormat::kCsv;
  else if (text == "json")
    *format = ExportFormat::kJson;
  else if (text == "ndjson")
    *format = ExportFormat::kNdjson;
  else
    return false;
  return true;
}

void AppendCsvField(std::string_view text, char delimiter, std::string* line) {
  bool quote =
      text.find_first_of(std::string{delimiter, '"', '\r', '\n'}) != std::string_view::npos;
  if (!quote) {
    line->append(text);
    return;
  }
  line->push_back('"');
  for (char c : text) {
    if (c == '"') line->push_back('"');
    line->push_back(c);
  }
  line->push_back('"');
}

Status ExportDataset(const Reader& reader, const std::string& dataset, ExportFormat format,
                     const VersionVector* as_of, bool provenance, std::ostream& out) {
  auto it = reader.cache().datasets.find(dataset);
  if (it == reader.cache().datasets.end()) {
    return Status::NotFound("no dataset \"" + dataset + "\" in collection " +
                            reader.cache().info.name());
  }
  std::vector<Column> columns = ColumnsFor(it->second.schema(), provenance);
  auto check_stream = [&]() -> Status {
    if (!out) return Status::IoError("writing the export failed");
    return Status::Ok();
  };

  if (format == ExportFormat::kCsv) {
    CsvWriter writer(reader, std::move(columns), provenance, out);
    writer.Header();
    KONGSI_RETURN_IF_ERROR(reader.ScanRecords(dataset, as_of, [&](const v1::RecordState& r) {
      writer.Record(r);
      return static_cast<bool>(out);  // stop early when the output is gone
    }));
    out.flush();
    return check_stream();
  }

  JsonWriter writer(reader, std::move(columns), provenance, format == ExportFormat::kNdjson, out);
  writer.Begin();
  KONGSI_RETURN_IF_ERROR(reader.ScanRecords(dataset, as_of, [&](const v1::RecordState& r) {
    writer.Record(r);
    return static_cast<bool>(out);
  }));
  writer.End();
  out.flush();
  return check_stream();
}

}  // namespace kongsi::node
