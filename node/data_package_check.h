// The whole-file check of one Data Package resource before anything is
// published (node/data_package.h): a package whose data contradicts its
// schema must change nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kongsi/v1/value.pb.h"
#include "node/csv_reader.h"
#include "storage/status.h"

namespace kongsi::node {

// One resource's data as the descriptor declares it.
struct ResourceData {
  std::string file;   // the CSV file
  std::string where;  // "resources[2]", for messages
  CsvOptions csv;
  bool delimiter_declared = false;  // by dialect.delimiter or format "tsv"
  std::optional<v1::Schema> schema;
};

// The first record of a CSV file (its header); errors name the file.
Result<std::vector<std::string>> ReadCsvHeader(const std::string& file, const CsvOptions& options);

// Reads the whole file once. Checks the header against the schema: when no
// delimiter is declared and the header does not fit with ',', tries ';',
// tab and '|' (Frictionless readers guess too) and keeps the one whose
// header names exactly the schema's fields. Then checks every cell against
// its field's declared type. Errors name the file, line, column and field.
// With `lenient`, a field with a cell its type cannot read takes the type
// inferred from all its cells, and columns after the last schema field are
// added as inferred fields; *notes says what changed. Without a schema only
// the CSV structure is checked. `progress` gets rows and bytes read.
Status CheckResourceData(ResourceData* data, bool lenient,
                         const std::function<void(uint64_t rows, uint64_t bytes)>& progress,
                         std::vector<std::string>* notes);

}  // namespace kongsi::node
