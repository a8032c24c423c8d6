// `kongsi export`: a dataset (current, or as of a version) written as CSV,
// JSON or NDJSON to a stream (DESIGN §5, §8).
//
// The promise: publishing a CSV and exporting it as CSV gives the same text
// back (same header, same cell spellings via RenderText, rows in primary-key
// order), apart from line endings (`\n`) and quoting, which is minimal RFC
// 4180 quoting. With `provenance`, every cell also says which node wrote it.
//
// Streams: records are written as they are scanned, so memory stays flat in
// the dataset size. No I/O other than the given std::ostream.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "node/reader.h"
#include "node/version_vector.h"
#include "storage/status.h"

namespace kongsi::node {

enum class ExportFormat { kCsv, kJson, kNdjson };

// "csv" / "json" / "ndjson"; false for anything else.
bool ParseExportFormat(std::string_view text, ExportFormat* format);

// Writes `dataset` of the reader's collection to `out`:
//  - CSV: a header of field names in schema order, then one row per record.
//    A synthetic-key dataset's `_row` column is left out unless `provenance`
//    (it is not part of the source table). With `provenance`, one extra
//    column `<field>.by` per written field, after all data columns, holding
//    the contributing node's ID (for key columns: the record's latest
//    upserter); empty when the cell is null because nobody wrote it.
//  - JSON: one array of objects {"field": value, ...}; NDJSON: one object
//    per line. Values are typed (ValueToJson). With `provenance`, each object
//    has "_by": {"field": "NODEID", ...}. The `_row` rule is as for CSV.
// `as_of` null means the current version. NotFound when the dataset does not
// exist; a write failure of `out` is an IoError.
Status ExportDataset(const Reader& reader, const std::string& dataset, ExportFormat format,
                     const VersionVector* as_of, bool provenance, std::ostream& out);

// One CSV field with RFC 4180 quoting when it holds `delimiter`, `"`, CR or
// LF (quotes doubled). Exposed for tests.
void AppendCsvField(std::string_view text, char delimiter, std::string* line);

}  // namespace kongsi::node
