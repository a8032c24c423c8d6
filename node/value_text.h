// Typed cell values (v1::Value) from CSV text and back.
//
// The round-trip promise: for any cell, RenderText(ParseValue(text, field,
// /*keep_lexical=*/true)) == text. Typing a column (declared or inferred)
// therefore never changes what an export writes; `lexical` carries the source
// spelling whenever it differs from the canonical one ("001", "1.50", "1e3",
// "TRUE", a missing-value token such as "NA").
//
// Types (Frictionless names): string, any (as string), integer (int64), year
// (as integer), number (double), boolean, date (YYYY-MM-DD), datetime (ISO
// 8601, stored as given). The Frictionless types Kongsi does not model —
// time, yearmonth, duration, geopoint, geojson, object, array — are kept as
// string values under their declared name, so a schema using them still
// imports and exports unchanged. Anything else is an error.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kongsi/v1/value.pb.h"
#include "storage/status.h"

namespace kongsi::node {

// True when ParseValue accepts `type` ("" counts, as Frictionless' default
// "string").
bool IsKnownFieldType(std::string_view type);

// Parses one cell per `field.type`. "" is null (CSV cannot tell an empty
// string from a missing value). Errors name the type and quote the text
// (shortened): `"abc" is not an integer`; the caller adds row and column.
// Leading `+` and leading zeros are accepted (kept in lexical), surrounding
// spaces are not.
Result<v1::Value> ParseValue(std::string_view text, const v1::Field& field, bool keep_lexical);
// The same, also treating `schema.missing_values()` tokens as null (with the
// token kept in lexical when keep_lexical is true).
Result<v1::Value> ParseValue(std::string_view text, const v1::Field& field,
                             const v1::Schema& schema, bool keep_lexical);

// Canonical text, ignoring lexical: integers in plain decimal, numbers in the
// shortest form that reads back to the same double (std::to_chars), and
// NaN / INF / -INF for non-finite ones; booleans true / false; strings,
// dates and datetimes as stored; null "".
std::string CanonicalText(const v1::Value& value);
// `lexical` when set, otherwise CanonicalText: exactly the source text.
std::string RenderText(const v1::Value& value);

// A total order over stored values: null first, then by type in the order
// false < true < integer < number < string < date < datetime (the order of
// storage/key_codec), then by value (numbers by IEEE total order, text
// bytewise), and last by lexical. The lexical tie-break makes the order
// total over everything a commit carries — CompareValues(a, b) == 0 exactly
// when SameValue(a, b) — so merge tie-breaks are the same on every node.
int CompareValues(const v1::Value& a, const v1::Value& b);
// Equal type, value and lexical: republishing an identical file makes no ops.
bool SameValue(const v1::Value& a, const v1::Value& b);

// JSON for the API and NDJSON export. The typed value, not the source text:
// lexical is dropped (CSV export keeps it). null -> null, booleans -> bool,
// strings / dates / datetimes -> string, integers -> number when |v| <= 2^53
// (exact in every JSON reader) else a decimal string, numbers -> number when
// finite (integral values as JSON integers so they print without an
// exponent) else the string "NaN", "INF" or "-INF".
boost::json::value ValueToJson(const v1::Value& value);

// Infers a Frictionless type per column from the rows it is shown, keeping
// O(columns) memory. Per column it picks the first of boolean, integer,
// number, date that every non-empty cell parses as under these strict
// rules, else string; a column with no non-empty cell is string:
//   boolean  true / false (also True, TRUE, False, FALSE; not 0 / 1)
//   integer  -?[0-9]+ fitting int64 (no '+', no spaces; "001" counts and
//            stays "001" through lexical)
//   number   a finite decimal std::from_chars reads whole (no '+', spaces,
//            NaN or INF)
//   date     YYYY-MM-DD, a real calendar date
// Datetimes are left as strings: their spellings vary too much to guess.
class TypeInferrer {
 public:
  // Rows may differ in width; columns past a row's end are unaffected.
  void Observe(const std::vector<std::string>& row);
  // One type per column seen so far.
  std::vector<std::string> Types() const;

 private:
  enum Candidate : uint8_t { kBoolean = 1, kInteger = 2, kNumber = 4, kDate = 8 };
  struct Column {
    uint8_t candidates = kBoolean | kInteger | kNumber | kDate;
    bool seen_value = false;
  };
  std::vector<Column> columns_;
};

}  // namespace kongsi::node
