// Writing a protobuf field's bytes in place after a message's own: the tag
// and length of a length-delimited field, so bytes already serialized (an
// op, a signed commit) are appended as they are instead of being copied into
// a message that is then serialized again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kongsi::node {

inline void AppendVarint(uint64_t v, std::string* out) {
  for (; v >= 0x80; v >>= 7) out->push_back(static_cast<char>((v & 0x7f) | 0x80));
  out->push_back(static_cast<char>(v));
}

inline void AppendLengthDelimitedHeader(uint32_t field, size_t size, std::string* out) {
  constexpr uint64_t kLengthDelimited = 2;  // the wire type
  AppendVarint((uint64_t{field} << 3) | kLengthDelimited, out);
  AppendVarint(size, out);
}

}  // namespace kongsi::node
