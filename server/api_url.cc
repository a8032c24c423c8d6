#include "server/api_url.h"

#include <cctype>

namespace kongsi::server {
namespace {

bool Unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (Unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space,
                                  const std::string& what) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c != '%') {
      out.push_back(c);
    } else {
      int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument(what + ": broken %-escape at character " +
                                       std::to_string(i + 1));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
  }
  return out;
}

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t comma; (comma = text.find(',', start)) != std::string_view::npos; start = comma + 1) {
    out.emplace_back(text.substr(start, comma - start));
  }
  out.emplace_back(text.substr(start));
  return out;
}

Result<SplitTarget> ParseTarget(std::string_view target) {
  SplitTarget out;
  size_t q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view item = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    auto name = PercentDecode(item.substr(0, eq), true, "query");
    if (!name.ok()) return name.status();
    std::string value;
    if (eq != std::string_view::npos) {
      auto v = PercentDecode(item.substr(eq + 1), true, "query parameter " + *name);
      if (!v.ok()) return v.status();
      value = std::move(v).value();
    }
    out.query.emplace_back(std::move(name).value(), std::move(value));
  }
  return out;
}

std::string MakeTarget(std::string_view path, const QueryList& query) {
  std::string out(path);
  char sep = '?';
  for (const auto& [name, value] : query) {
    out.push_back(sep);
    sep = '&';
    out += PercentEncode(name);
    out.push_back('=');
    out += PercentEncode(value);
  }
  return out;
}

}  // namespace kongsi::server
