// The web console's files (web/ui/), compiled into the binary by
// web/embed_files.py. Served by server/web_assets.h.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace kongsi::web {

struct EmbeddedFile {
  std::string_view path;  // relative to web/ui/, "/"-separated: "app.js"
  std::string_view data;  // the file's bytes
  std::string_view etag;  // strong ETag, quoted: a hash of the bytes
};

// Every file, sorted by path.
std::span<const EmbeddedFile> EmbeddedFiles();

}  // namespace kongsi::web
