// Shared by the Data Package tests: file helpers, one node with one
// collection, and a digest of a collection's data that ignores who wrote it.
#pragma once

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "node/csv_reader.h"
#include "node/data_package.h"
#include "node/table_schema.h"
#include "test_cluster.h"

namespace kongsi::node::package_test {

using testing::TempDir;

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A package folder under `tmp`: datapackage.json and data files.
inline std::string WritePackage(const TempDir& tmp, const std::string& name,
                                const std::string& descriptor,
                                const std::map<std::string, std::string>& files = {}) {
  const std::string dir = tmp.Sub(name);
  std::filesystem::create_directories(dir + "/data");
  WriteAll(dir + "/datapackage.json", descriptor);
  for (const auto& [path, text] : files) WriteAll(dir + "/" + path, text);
  return dir;
}

// The next record, false at the end; a read error fails the test.
inline bool NextRow(CsvReader& csv, std::vector<std::string>* row) {
  auto more = csv.Next(row);
  EXPECT_TRUE(more.ok()) << more.status().ToString();
  return more.ok() && *more;
}

// One node with one collection.
struct NodeWithCollection {
  explicit NodeWithCollection(const TempDir& dir, const std::string& tag = "n")
      : node(testing::InitNode(dir.Sub(tag), tag)) {
    auto c = node->CreateCollection("coalition", "shared budgets");
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    coll = *c;
  }
  std::unique_ptr<Node> node;
  std::string coll;
};

// The text of every column of a live record but a synthetic key, in schema
// order: what a member sees of the row.
inline std::vector<std::string> RowText(const v1::RecordState& r, const v1::Schema& schema) {
  std::vector<std::string> row;
  for (const v1::Field& f : schema.fields()) {
    auto k = std::find(schema.primary_key().begin(), schema.primary_key().end(), f.name());
    if (k != schema.primary_key().end()) {
      if (!schema.synthetic_key())
        row.push_back(RenderText(r.key(static_cast<int>(k - schema.primary_key().begin()))));
      continue;
    }
    const v1::CellState* cell = FindCell(r, f.name());
    row.push_back(cell && ViewCell(r, *cell).visible ? RenderText(cell->value()) : "");
  }
  return row;
}

// SHA-256 over every dataset's name, Table Schema and rows (sorted, so a
// synthetic key, a hash of the source text, does not count): equal for two
// nodes holding the same data whoever wrote it.
inline std::string DataDigest(const Node& node, const std::string& coll) {
  Reader reader(node, coll);
  std::string canonical;
  for (const auto& entry : reader.cache().datasets) {
    const std::string& name = entry.first;
    const auto& info = entry.second;
    if (name == kPackageMetadataDataset) continue;
    std::vector<std::string> rows;
    EXPECT_TRUE(reader
                    .ScanRecords(name, nullptr,
                                 [&](const v1::RecordState& r) {
                                   std::string line;
                                   for (const auto& cell : RowText(r, info.schema()))
                                     line += cell + '\x1f';
                                   rows.push_back(std::move(line));
                                   return true;
                                 })
                    .ok());
    std::sort(rows.begin(), rows.end());
    canonical += name + '\x1e' + TableSchemaToJson(info.schema()) + '\x1e';
    for (const auto& r : rows) canonical += r + '\x1e';
  }
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), md);
  return HexId(std::string(reinterpret_cast<char*>(md), sizeof md));
}

}  // namespace kongsi::node::package_test
