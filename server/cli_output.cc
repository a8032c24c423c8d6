#include "server/cli_output.h"

#include <algorithm>
#include <boost/json/serialize.hpp>

namespace kongsi::server {
namespace {

// Display width approximated by code points: good enough for the names and
// IDs these tables hold.
size_t Width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

void PrintRow(std::ostream& out, const std::vector<std::string>& row,
              const std::vector<size_t>& widths) {
  std::string line;
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) line += "  ";
    line += row[i];
    if (i + 1 < row.size()) line.append(widths[i] - Width(row[i]), ' ');
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  out << line << '\n';
}

}  // namespace

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], Width(row[i]));
    }
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  PrintRow(out, header_, widths);
  for (const auto& r : rows_) PrintRow(out, r, widths);
}

void KeyValues::Print(std::ostream& out) const {
  size_t width = 0;
  for (const auto& [label, _] : lines_) width = std::max(width, Width(label));
  for (const auto& [label, value] : lines_) {
    std::string line = label;
    line.append(width - Width(label) + 2, ' ');
    line += value;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

void PrintJson(std::ostream& out, const boost::json::value& doc) {
  out << boost::json::serialize(doc) << '\n';
}

std::string Text(const boost::json::value& obj, std::string_view key) {
  const boost::json::value& v = obj.as_object().at(key);
  if (v.is_string()) return std::string(v.get_string());
  return boost::json::serialize(v);
}

std::string JoinedText(const boost::json::value& obj, std::string_view key, const char* separator) {
  std::string out;
  for (const auto& item : obj.as_object().at(key).as_array()) {
    if (!out.empty()) out += separator;
    out += item.is_string() ? std::string(item.get_string()) : boost::json::serialize(item);
  }
  return out;
}

}  // namespace kongsi::server
