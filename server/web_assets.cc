#include "server/web_assets.h"

#include <map>
#include <string>

#include "web/embedded_files.h"

namespace kongsi::server {
namespace {

constexpr std::string_view kIndexFile = "index.html";

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// URL path -> asset, built once from the embedded files.
const std::map<std::string, WebAsset, std::less<>>& Assets() {
  static const auto* assets = [] {
    auto* out = new std::map<std::string, WebAsset, std::less<>>;
    for (const web::EmbeddedFile& f : web::EmbeddedFiles()) {
      std::string url = std::string(kWebAssetPrefix) + std::string(f.path);
      auto [it, _] = out->emplace(url, WebAsset{});
      it->second = WebAsset{it->first, WebContentType(f.path), f.data, f.etag};
    }
    return out;
  }();
  return *assets;
}

}  // namespace

bool IsWebPath(std::string_view path) {
  return path == "/" || path == "/index.html" || path.starts_with(kWebAssetPrefix);
}

const WebAsset* FindWebAsset(std::string_view path) {
  std::string index;
  if (path == "/" || path == "/index.html") {
    index = std::string(kWebAssetPrefix) + std::string(kIndexFile);
    path = index;
  }
  const auto& assets = Assets();
  auto it = assets.find(path);
  return it == assets.end() ? nullptr : &it->second;
}

std::string_view WebContentType(std::string_view file_name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (EndsWith(file_name, ext)) return type;
  }
  return "application/octet-stream";
}

std::vector<std::pair<std::string_view, std::string_view>> WebSecurityHeaders() {
  return {{"Content-Security-Policy", kWebContentSecurityPolicy},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"},
          {"X-Frame-Options", "DENY"}};
}

}  // namespace kongsi::server
