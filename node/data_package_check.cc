#include "node/data_package_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "node/table_schema.h"
#include "node/value_text.h"

namespace kongsi::node {
namespace {

constexpr uint64_t kProgressEveryRows = 10000;

// The header names the schema's fields in order (and, if `extra_ok`, more).
bool HeaderFits(const std::vector<std::string>& header, const v1::Schema& schema, bool extra_ok) {
  const size_t n = static_cast<size_t>(schema.fields_size());
  if (header.size() < n || (!extra_ok && header.size() != n)) return false;
  for (size_t i = 0; i < n; ++i) {
    if (header[i] != schema.fields(static_cast<int>(i)).name()) return false;
  }
  return true;
}

// The header, read with the declared delimiter or the one guessed.
Result<std::vector<std::string>> FindHeader(ResourceData* data, bool lenient,
                                            std::vector<std::string>* notes) {
  auto header = ReadCsvHeader(data->file, data->csv);
  if (!header.ok() || data->delimiter_declared || !data->schema ||
      HeaderFits(*header, *data->schema, lenient)) {
    return header;
  }
  for (char candidate : {';', '\t', '|'}) {
    CsvOptions options = data->csv;
    options.delimiter = candidate;
    auto guessed = ReadCsvHeader(data->file, options);
    if (guessed.ok() && HeaderFits(*guessed, *data->schema, lenient)) {
      data->csv.delimiter = candidate;
      notes->push_back(
          fmt::format("no dialect delimiter declared; the header fits the schema "
                      "when split at '{}'",
                      candidate == '\t' ? std::string("tab") : std::string(1, candidate)));
      return guessed;
    }
  }
  return header;
}

// Columns after the schema's fields become fields (typed after the scan).
Status AddExtraColumns(const std::vector<std::string>& header, v1::Schema* schema,
                       std::vector<std::string>* notes) {
  std::vector<std::string> added;
  for (size_t c = static_cast<size_t>(schema->fields_size()); c < header.size(); ++c) {
    const std::string& name = header[c];
    if (name.empty()) {
      return Status::InvalidArgument(fmt::format("column {} has no name in the header", c + 1));
    }
    for (const v1::Field& f : schema->fields()) {
      if (f.name() == name) {
        return Status::InvalidArgument(
            fmt::format("column {} repeats the name \"{}\"", c + 1, name));
      }
    }
    schema->add_fields()->set_name(name);
    added.push_back("\"" + name + "\"");
  }
  if (!added.empty()) {
    notes->push_back(fmt::format("the file has {} column(s) the schema does not declare, added: {}",
                                 added.size(), fmt::join(added, ", ")));
  }
  return Status::Ok();
}

struct CellFailure {
  uint64_t line = 0;
  std::string message;
};

}  // namespace

Result<std::vector<std::string>> ReadCsvHeader(const std::string& file, const CsvOptions& options) {
  auto reader = CsvReader::Open(file, options);
  if (!reader.ok()) return reader.status();
  std::vector<std::string> header;
  auto got = (*reader)->Next(&header);
  if (!got.ok()) return got.status();
  if (!*got) return Status::InvalidArgument(file + ": file is empty");
  return header;
}

Status CheckResourceData(ResourceData* data, bool lenient,
                         const std::function<void(uint64_t rows, uint64_t bytes)>& progress,
                         std::vector<std::string>* notes) {
  auto header = FindHeader(data, lenient, notes);
  if (!header.ok()) return header.status();
  const int declared = data->schema ? data->schema->fields_size() : 0;
  if (data->schema) {
    if (!HeaderFits(*header, *data->schema, lenient)) {
      Status mismatch = CheckHeaderMatchesSchema(*data->schema, *header);
      return Status::InvalidArgument(
          fmt::format("{}: {} ({}.schema){}", data->file, mismatch.message(), data->where,
                      header->size() > static_cast<size_t>(declared)
                          ? "; the lenient option imports columns after the declared ones"
                          : ""));
    }
    KONGSI_RETURN_IF_ERROR(AddExtraColumns(*header, &*data->schema, notes).WithContext(data->file));
  }

  auto reader = CsvReader::Open(data->file, data->csv);
  if (!reader.ok()) return reader.status();
  std::vector<std::string> row;
  (void)(*reader)->Next(&row);  // the header, read above
  TypeInferrer inferrer;
  std::map<int, CellFailure> failures;  // by field index: the first cell that fails
  uint64_t rows = 0;
  while (true) {
    auto more = (*reader)->Next(&row);
    if (!more.ok()) return more.status();
    if (!*more) break;
    inferrer.Observe(row);
    for (int f = 0; f < declared; ++f) {
      if (failures.contains(f)) continue;
      auto value = ParseValue(row[static_cast<size_t>(f)], data->schema->fields(f), *data->schema,
                              /*keep_lexical=*/false);
      if (!value.ok())
        failures.emplace(f, CellFailure{(*reader)->line(), value.status().message()});
    }
    if (progress && ++rows % kProgressEveryRows == 0) progress(rows, (*reader)->bytes_read());
  }
  if (!data->schema) return Status::Ok();

  std::vector<std::string> types = inferrer.Types();
  types.resize(header->size(), "string");
  for (int f = declared; f < data->schema->fields_size(); ++f) {
    data->schema->mutable_fields(f)->set_type(types[static_cast<size_t>(f)]);
  }
  if (failures.empty()) return Status::Ok();
  if (!lenient) {
    auto first = std::min_element(
        failures.begin(), failures.end(),
        [](const auto& a, const auto& b) { return a.second.line < b.second.line; });
    const v1::Field& field = data->schema->fields(first->first);
    std::vector<std::string> others;
    for (const auto& [f, failure] : failures) {
      if (f != first->first) others.push_back("\"" + data->schema->fields(f).name() + "\"");
    }
    return Status::InvalidArgument(fmt::format(
        "{}: line {}, column {} (\"{}\"): {}, but {}.schema declares it {}{}; the lenient option "
        "imports such fields with the type their cells have",
        data->file, first->second.line, first->first + 1, field.name(), first->second.message,
        data->where, field.type(),
        others.empty() ? "" : fmt::format(" (fields {} fail too)", fmt::join(others, ", "))));
  }
  for (const auto& [f, failure] : failures) {
    v1::Field* field = data->schema->mutable_fields(f);
    const std::string& inferred = types[static_cast<size_t>(f)];
    notes->push_back(fmt::format("field \"{}\" is declared {}, but line {}: {}; imported as {}",
                                 field->name(), field->type(), failure.line, failure.message,
                                 inferred));
    field->set_type(inferred);
    field->clear_format();
  }
  return Status::Ok();
}

}  // namespace kongsi::node
