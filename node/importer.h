// `kongsi publish`: a CSV file becomes upserts into a dataset.
//
// The file is read twice, streaming (memory flat in file size apart from one
// 16-byte hash per key to catch duplicates): pass 1 checks structure and
// infers types; pass 2 diffs every row against the current record and stages
// only changed cells as a chain of signed commits. The chain is then applied
// commit by commit; a crash in between rolls the chain forward on the next
// open, so an import lands whole or not at all. Re-publishing an identical
// file makes no ops; changing one cell makes one op. An identical file into
// a collection no commit has touched since is not read past its hash
// (node/publish_mark.h) unless `recheck` asks for the full compare.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "node/node.h"

namespace kongsi::node {

struct PublishOptions {
  std::string collection;  // raw id
  std::string dataset;
  std::vector<std::string> key_columns;  // empty: the schema's, else a synthetic `_row` key
  std::string schema_path;  // Frictionless Table Schema JSON, optional
  char delimiter = ',';
  std::string encoding;  // empty: UTF-8
  std::string message;
  // Called now and then with rows and bytes read so far (for progress bars).
  std::function<void(uint64_t rows, uint64_t bytes, int pass)> progress;
  // An already parsed Table Schema (a datapackage.json resource's inline
  // schema); used like schema_path, which must then be empty.
  std::optional<v1::Schema> schema;
  // The schema's types were inferred by Kongsi rather than declared by the
  // publisher (a package Kongsi exported): keep each cell's source text, as
  // for a CSV without a schema, so such a package re-imports unchanged.
  bool schema_inferred = false;
  // Compare every row even when the file and the collection are unchanged
  // since the dataset's last publish.
  bool recheck = false;
};

struct PublishReport {
  uint64_t rows_read = 0;
  uint64_t rows_changed = 0;
  uint64_t ops = 0;
  uint64_t commits = 0;
  uint64_t blank_rows_skipped = 0;
  bool created_dataset = false;
  bool synthetic_key = false;
  bool unchanged = false;  // skipped: same file, no commit since its last publish
  std::vector<std::string> notes;  // things the user should know
  VersionVector version;           // the collection's version afterwards
};

Result<PublishReport> Publish(Node& node, const std::string& path, const PublishOptions& options);

}  // namespace kongsi::node
