// node/csv_reader: the streaming CSV reader every import goes through, with
// the options that change how bytes are read. Input: one option byte, then
// the CSV bytes.
//
// Option byte: bits 0-2 the delimiter, bits 3-5 the encoding (tables below;
// the last entries are invalid on purpose, to reach the option checks),
// bit 6 refuses bare quotes, bit 7 uses tiny chunks and limits so that
// multi-byte characters and CRLF pairs straddle chunk boundaries and every
// limit is reachable with small inputs.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "node/csv_reader.h"
#include "node/value_text.h"

namespace {

constexpr char kDelimiters[8] = {',', ';', '\t', '|', ':', ' ', '#', '"'};
constexpr const char* kEncodings[8] = {"UTF-8",   "CP850", "LATIN1", "WINDOWS-1252",
                                       "UTF-16LE", "UTF-16", "utf8",  "NO-SUCH-ENCODING"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  kongsi::node::CsvOptions options;
  options.delimiter = kDelimiters[flags & 7];
  options.encoding = kEncodings[(flags >> 3) & 7];
  options.allow_bare_quotes = (flags & 0x40) == 0;
  if (flags & 0x80) {
    options.chunk_bytes = 3;
    options.max_field_bytes = 32;
    options.max_fields = 8;
    options.max_record_bytes = 96;
  }
  std::istringstream in(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  auto reader = kongsi::node::CsvReader::FromStream(&in, "fuzz.csv", options);
  if (!reader.ok()) return 0;
  // Records go through type inference as an import's first pass does.
  kongsi::node::TypeInferrer types;
  std::vector<std::string> fields;
  while (true) {
    auto more = (*reader)->Next(&fields);
    if (!more.ok()) {
      // Errors are sticky (csv_reader.h): the next call must say the same.
      auto again = (*reader)->Next(&fields);
      if (again.ok() || again.status().message() != more.status().message()) __builtin_trap();
      break;
    }
    if (!*more) break;
    if ((*reader)->records() > 1 && fields.size() != (*reader)->width()) __builtin_trap();
    types.Observe(fields);
  }
  (void)types.Types();
  return 0;
}
