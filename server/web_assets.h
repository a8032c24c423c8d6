// The web console (web/ui/, built into the binary) as the local API serves
// it: which paths are the console's, the file behind each, and the headers
// that go with them. The console needs no token to load; it signs in with
// one and sends it on its API calls like any other client (docs/WEB.md).
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace kongsi::server {

// The console's prefix for everything but its page: "/ui/app.js".
inline constexpr std::string_view kWebAssetPrefix = "/ui/";

// Only this origin's scripts, styles, images and API; no inline script, no
// framing, no plugins: the console works offline and a value in the data
// can never run as code.
inline constexpr std::string_view kWebContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

// Revalidate every time (the ETag makes that a 304): a node upgraded in
// place serves its new console at once.
inline constexpr std::string_view kWebCacheControl = "no-cache";

struct WebAsset {
  std::string_view path;          // the URL path: "/ui/app.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;
  std::string_view etag;  // strong, quoted
};

// True for the paths the console owns: "/", "/index.html" and "/ui/...".
// Requests for them are answered from the embedded files, never routed.
bool IsWebPath(std::string_view path);

// The file `path` names ("/" and "/index.html" are the page, /ui/index.html),
// or null when there is none.
const WebAsset* FindWebAsset(std::string_view path);

// Content-Type by file extension; application/octet-stream when unknown.
std::string_view WebContentType(std::string_view file_name);

// Headers every console answer carries, found or not: the CSP, nosniff,
// no referrer, no framing.
std::vector<std::pair<std::string_view, std::string_view>> WebSecurityHeaders();

}  // namespace kongsi::server
