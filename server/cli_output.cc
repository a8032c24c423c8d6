#include "server/cli_output.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <ctime>

#include "node/value_text.h"

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

std::string ValueLabel(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::KIND_NOT_SET:
      return "null";
    case v1::Value::kIntegerValue:
    case v1::Value::kNumberValue:
    case v1::Value::kBooleanValue:
      return node::RenderText(value);
    default:
      return boost::json::serialize(boost::json::value(node::RenderText(value)));
  }
}

std::string KeyText(const google::protobuf::RepeatedPtrField<v1::Value>& key) {
  std::string out;
  for (int i = 0; i < key.size(); ++i) {
    if (i > 0) out += ",";
    out += node::RenderText(key.Get(i));
  }
  return out;
}

boost::json::array KeyJson(const google::protobuf::RepeatedPtrField<v1::Value>& key) {
  boost::json::array out;
  for (const auto& v : key) out.push_back(node::ValueToJson(v));
  return out;
}

std::string HlcTime(uint64_t hlc) {
  std::time_t secs = static_cast<std::time_t>((hlc >> 16) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

std::string ShortId(std::string_view node_id_text) {
  return std::string(node_id_text.substr(0, 8));
}

}  // namespace kongsi::server
