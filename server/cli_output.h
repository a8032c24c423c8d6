// Printing for the `kongsi` CLI: aligned plain-text tables and key/value
// blocks for people, one Boost.JSON document for scripts, and the short
// renderings of values, keys, versions and times both share.
#pragma once

#include <google/protobuf/repeated_ptr_field.h>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kongsi/v1/value.pb.h"

namespace kongsi::server {

// Columns padded to their widest cell (counted in UTF-8 code points), two
// spaces apart; the last column is not padded, so lines carry no trailing
// blanks. Nothing is printed for a table without rows except the header.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// "label  value" lines with the labels padded to the longest.
class KeyValues {
 public:
  void Add(std::string label, std::string value) {
    lines_.emplace_back(std::move(label), std::move(value));
  }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

// Serializes `doc` as one line followed by a newline.
void PrintJson(std::ostream& out, const boost::json::value& doc);

// A value for people, unambiguous: null as `null`, text-like values quoted
// with JSON escapes, numbers and booleans as their source text.
std::string ValueLabel(const v1::Value& value);
// Primary-key values as their source text joined by ",": the form
// `history --key` reads back.
std::string KeyText(const google::protobuf::RepeatedPtrField<v1::Value>& key);
// Typed key values for JSON output.
boost::json::array KeyJson(const google::protobuf::RepeatedPtrField<v1::Value>& key);
// The wall-clock part of an HLC as UTC "YYYY-MM-DDTHH:MM:SSZ".
std::string HlcTime(uint64_t hlc);
// The first 8 characters of a node ID text: enough to tell nodes apart in
// a table (the same prefix Reader::FormatVersion uses).
std::string ShortId(std::string_view node_id_text);

}  // namespace kongsi::server
