// Frictionless Table Schema (the subset Kongsi keeps) <-> v1::Schema.
//
// Kept: fields[].name / type / format / title / description /
// constraints.required, primaryKey (a string or an array), missingValues.
// Ignored, because they describe rather than change values: other
// constraints (unique, enum, pattern, min/max: not enforced), rdfType,
// example and unknown properties. Refused, because ignoring them would read
// values differently from what the publisher meant: decimalChar, groupChar,
// bareNumber, trueValues, falseValues, and date/time patterns other than
// "default" / "any" (Kongsi reads ISO 8601 only).
//
// Missing values: "" is always missing (CSV cannot tell an empty string from
// nothing), so an empty missing_values list means Frictionless' default
// [""] and `"missingValues": []` reads the same.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "kongsi/v1/value.pb.h"
#include "storage/status.h"

namespace kongsi::node {

// Largest schema document ParseTableSchema reads.
inline constexpr size_t kMaxSchemaJsonBytes = size_t{1} << 20;  // 1 MiB
// A schema has at most kMaxFields (node/csv_reader.h) fields, like a CSV row.

// Parses JSON text (any document). Syntax errors are InvalidArgument naming
// `source_name`, line and column ("x.json: not valid JSON at line 4, column
// 2: syntax error"). The caller bounds the size.
Result<boost::json::value> ParseJsonText(std::string_view text, const std::string& source_name);
// Reads and parses the JSON file at `path`, refusing one over `max_bytes`
// (ResourceExhausted naming `limit_name`); NotFound when it cannot be opened.
Result<boost::json::value> ReadJsonFile(const std::string& path, size_t max_bytes,
                                        const char* limit_name);
// Indented JSON, two spaces per level, arrays of scalars on one line: what
// people read in schema.json and datapackage.json files.
std::string ToPrettyJson(const boost::json::value& value);

// Parses a Table Schema JSON document. Errors are InvalidArgument naming
// `source_name` and the JSON path, e.g.
//   schema.json: fields[3].type: unknown type "money"
//   schema.json: not valid JSON at line 4, column 2: syntax error
Result<v1::Schema> ParseTableSchema(std::string_view json, const std::string& source_name);
// Reads a Table Schema file (at most kMaxSchemaJsonBytes); errors name `path`.
Result<v1::Schema> ReadTableSchemaFile(const std::string& path);
// The same for an already parsed document (e.g. a datapackage.json
// resource); `json_path` is where it sits ("resources[0].schema"), so errors
// read "datapackage.json: resources[0].schema.fields[3].type: ...".
Result<v1::Schema> TableSchemaFromJson(const boost::json::value& json,
                                       const std::string& source_name,
                                       const std::string& json_path);

// The schema as a Table Schema object, for datapackage.json output. A
// synthetic key (Schema.synthetic_key) is not written: the source declared
// none, and readers of the package should not see one.
boost::json::object TableSchemaToJsonObject(const v1::Schema& schema);
// The same, indented two spaces per level.
std::string TableSchemaToJson(const v1::Schema& schema);

// Every key column names a column of `header`. The error lists the columns
// and suggests a near miss (differing in case or surrounding spaces).
Status CheckKeyColumns(const std::vector<std::string>& key_columns,
                       const std::vector<std::string>& header);
Status CheckKeyColumns(const v1::Schema& schema, const std::vector<std::string>& header);
// The header names exactly the schema's fields, in order (Frictionless
// matches fields to columns by position; a mismatch means the wrong schema
// or a changed file).
Status CheckHeaderMatchesSchema(const v1::Schema& schema, const std::vector<std::string>& header);

// A schema for a CSV without one: a field per header column with the given
// (usually TypeInferrer) types, and `key_columns` as the primary key (none
// when empty; the caller decides on a synthetic key). Header names must be
// non-empty and distinct.
Result<v1::Schema> SchemaFromHeader(const std::vector<std::string>& header,
                                    const std::vector<std::string>& types,
                                    const std::vector<std::string>& key_columns);

}  // namespace kongsi::node
