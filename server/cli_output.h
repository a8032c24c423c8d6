// Printing for the `kongsi` CLI: aligned plain-text tables and key/value
// blocks for people, one Boost.JSON document for scripts, and reading the
// API's answers as text.
#pragma once

#include <boost/json/value.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// obj[key] as text: a string as it is, a number or boolean as JSON writes
// it. Throws (std::out_of_range, std::invalid_argument) when `obj` is not
// an object with `key`: CallAndPrint turns that into an error.
std::string Text(const boost::json::value& obj, std::string_view key);
// The elements of the array obj[key] as text, joined by `separator`.
std::string JoinedText(const boost::json::value& obj, std::string_view key, const char* separator);

}  // namespace kongsi::server
