// kongsi_raw_ingest: the storage limit that `kongsi publish` and sync are
// measured against (bench figure 1).
//
// It writes the rows of CSV files straight into RocksDB through storage::Db:
// one Put per row, in file order, under the same key layout as materialized
// records (collection | dataset | encoded primary key), with the row's upsert
// (typed values exactly as the importer parses them) as the value, in
// WriteBatches of --batch rows synced like commits are. No signatures, no
// merge, no log, no diff: what is left is the cost of the bytes themselves.
// Parsing happens before the clock starts, so the figure is storage only.
//
// Prints one JSON object: {"rows", "bytes", "seconds", "rows_per_s",
// "parse_seconds"} (the last: reading, typing and encoding the CSV, untimed
// in rows_per_s, reported so a reader can see what parsing alone costs).
#include <openssl/sha.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kongsi/v1/commit.pb.h"
#include "node/csv_reader.h"
#include "node/store_keys.h"
#include "node/table_schema.h"
#include "node/value_text.h"
#include "storage/db.h"
#include "storage/key_codec.h"

namespace kongsi::bench {
namespace {

using Row = std::vector<std::string>;
// A fixed collection id: the key prefix has the real width (16 bytes).
constexpr char kCollection[] = "bench-collection";
static_assert(sizeof(kCollection) - 1 == node::keys::kCollectionIdBytes);

struct Table {
  std::vector<std::string> header;
  std::vector<Row> rows;
  std::vector<size_t> file_start;  // index of each file's first row
};

Status ReadFiles(const std::vector<std::string>& files, Table* table) {
  for (const auto& path : files) {
    auto reader = node::CsvReader::Open(path);
    if (!reader.ok()) return reader.status();
    Row row;
    auto got = (*reader)->Next(&row);
    if (!got.ok()) return got.status();
    if (!*got) return Status::InvalidArgument(path + ": file is empty");
    if (table->header.empty()) table->header = row;
    if (row != table->header) {
      return Status::InvalidArgument(path + ": header differs from the first file's");
    }
    table->file_start.push_back(table->rows.size());
    while (true) {
      auto more = (*reader)->Next(&row);
      if (!more.ok()) return more.status();
      if (!*more) break;
      table->rows.push_back(row);
    }
  }
  return Status::Ok();
}

// The synthetic key of a keyless table, as the importer makes it: a hash of
// the row's content (24 hex characters), "#n" for the n-th repeat in a file.
std::string ContentKey(const Row& row, std::map<std::string, int>* seen) {
  std::string joined;
  for (const auto& cell : row) joined.append(cell).push_back('\x1f');
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  for (int i = 0; i < 12; ++i) {
    key.push_back(kHex[md[i] >> 4]);
    key.push_back(kHex[md[i] & 15]);
  }
  int n = ++(*seen)[key];
  return n > 1 ? key + "#" + std::to_string(n) : key;
}

// (record key, value) for every row, in file order.
Result<std::vector<std::pair<std::string, std::string>>> EncodeRows(
    const Table& table, const std::string& dataset, const std::vector<std::string>& key_columns) {
  node::TypeInferrer inferrer;
  for (const auto& row : table.rows) inferrer.Observe(row);
  std::vector<std::string> types = inferrer.Types();
  types.resize(table.header.size(), "string");
  auto schema = node::SchemaFromHeader(table.header, types, key_columns);
  if (!schema.ok()) return schema.status();

  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(table.rows.size());
  std::map<std::string, int> seen;
  size_t next_file = 0;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    if (next_file < table.file_start.size() && table.file_start[next_file] == r) {
      seen.clear();
      ++next_file;
    }
    const Row& row = table.rows[r];
    v1::Upsert up;
    up.set_dataset(dataset);
    if (key_columns.empty()) up.add_key()->set_string_value(ContentKey(row, &seen));
    for (int f = 0; f < schema->fields_size(); ++f) {
      auto v = node::ParseValue(row[f], schema->fields(f), *schema, /*keep_lexical=*/true);
      if (!v.ok()) return v.status().WithContext("row " + std::to_string(r + 1));
      bool is_key =
          std::find(key_columns.begin(), key_columns.end(), table.header[f]) != key_columns.end();
      if (is_key) {
        *up.add_key() = *v;
      } else if (v->kind_case() != v1::Value::KIND_NOT_SET || !v->lexical().empty()) {
        auto* cell = up.add_cells();
        cell->set_field(table.header[f]);
        *cell->mutable_value() = std::move(v).value();
      }
    }
    out.emplace_back(node::keys::Record(kCollection, dataset, storage::EncodeKey(up.key())),
                     up.SerializeAsString());
  }
  return out;
}

int Run(int argc, char** argv) {
  CLI::App app{"Raw RocksDB ingest of CSV rows: the storage limit for bench figures"};
  std::string db_path, dataset = "bench", key;
  std::vector<std::string> files;
  size_t batch_rows = 10000;
  app.add_option("--db", db_path, "Database directory (must not exist)")->required();
  app.add_option("--dataset", dataset, "Dataset name in the record keys");
  app.add_option("--key", key, "Primary-key column(s), comma-separated (default: a content hash)");
  app.add_option("--batch", batch_rows, "Rows per WriteBatch (a commit holds 10,000 ops)")
      ->check(CLI::PositiveNumber);
  app.add_option("files", files, "CSV files, all with the same header")
      ->required()
      ->check(CLI::ExistingFile);
  CLI11_PARSE(app, argc, argv);
  if (std::filesystem::exists(db_path)) {
    std::fprintf(stderr, "kongsi_raw_ingest: %s already exists\n", db_path.c_str());
    return 2;
  }
  std::vector<std::string> key_columns;
  for (auto part : CLI::detail::split(key, ',')) {
    if (!part.empty()) key_columns.push_back(part);
  }

  Table table;
  auto parse_start = std::chrono::steady_clock::now();
  auto encoded = [&]() -> Result<std::vector<std::pair<std::string, std::string>>> {
    KONGSI_RETURN_IF_ERROR(ReadFiles(files, &table));
    return EncodeRows(table, dataset, key_columns);
  }();
  if (!encoded.ok()) {
    std::fprintf(stderr, "kongsi_raw_ingest: %s\n", encoded.status().ToString().c_str());
    return 1;
  }

  uint64_t bytes = 0;
  auto start = std::chrono::steady_clock::now();
  double parse_seconds = std::chrono::duration<double>(start - parse_start).count();
  Status status = [&]() -> Status {
    auto db = storage::Db::Open(db_path, {});
    if (!db.ok()) return db.status();
    storage::WriteBatch batch(**db);
    for (const auto& [k, v] : *encoded) {
      batch.Put(storage::Family::kRecords, k, v);
      bytes += k.size() + v.size();
      if (batch.Count() >= batch_rows) {
        KONGSI_RETURN_IF_ERROR((*db)->Write(batch, /*sync=*/true));
        batch.Clear();
      }
    }
    if (batch.Count() > 0) KONGSI_RETURN_IF_ERROR((*db)->Write(batch, /*sync=*/true));
    return Status::Ok();  // closing the database is inside the timed span
  }();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!status.ok()) {
    std::fprintf(stderr, "kongsi_raw_ingest: %s\n", status.ToString().c_str());
    return 1;
  }
  size_t rows = encoded->size();
  std::printf(
      "{\"rows\": %zu, \"bytes\": %llu, \"seconds\": %.6f, \"rows_per_s\": %.1f, "
      "\"parse_seconds\": %.6f}\n",
      rows, static_cast<unsigned long long>(bytes), seconds, seconds > 0 ? rows / seconds : 0.0,
      parse_seconds);
  return 0;
}

}  // namespace
}  // namespace kongsi::bench

int main(int argc, char** argv) { return kongsi::bench::Run(argc, argv); }
