// Request targets of the local API: percent-encoding of path segments and
// query values, and splitting a target into path and query. Shared by the
// HTTP server, the in-process dispatch and the CLI's HTTP client.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/status.h"

namespace kongsi::server {

using QueryList = std::vector<std::pair<std::string, std::string>>;

// Encodes everything but RFC 3986 unreserved characters.
std::string PercentEncode(std::string_view text);
// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in
// query strings). InvalidArgument naming `what` for a broken escape.
Result<std::string> PercentDecode(std::string_view text, bool plus_is_space,
                                  const std::string& what);

// "a,b,,c" -> {"a", "b", "", "c"}: the comma lists of key columns and key
// values.
std::vector<std::string> SplitCommas(std::string_view text);

// "/a/b?x=1&y" -> path "/a/b" (still encoded), query {{"x","1"},{"y",""}}
// (decoded).
struct SplitTarget {
  std::string path;
  QueryList query;
};
Result<SplitTarget> ParseTarget(std::string_view target);
// The inverse: path (already encoded) plus the query, encoded.
std::string MakeTarget(std::string_view path, const QueryList& query);

}  // namespace kongsi::server
