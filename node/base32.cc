#include "node/base32.h"

#include <cstdint>

namespace kongsi::node {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// Value of one base32 digit, or -1 when `c` is not in the alphabet.
int DigitValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// Printable form of a rejected character for error messages: control and
// non-ASCII bytes would garble a log line, so show them as hex.
std::string Describe(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 0xf];
}

}  // namespace

std::string Base32Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  uint32_t buffer = 0;  // holds at most 12 pending bits
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kAlphabet[(buffer >> bits) & 0x1f]);
    }
    buffer &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1f]);
  return out;
}

Result<std::string> Base32Decode(std::string_view text) {
  switch (text.size() % 8) {
    case 1:
    case 3:
    case 6:
      return Status::InvalidArgument("base32 text has " + std::to_string(text.size()) +
                                     " characters; no byte string encodes to that length");
    default:
      break;
  }
  std::string out;
  out.reserve(text.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    int v = DigitValue(text[i]);
    if (v < 0) {
      std::string why = text[i] == '=' ? " (padding is not used)" : "";
      return Status::InvalidArgument("invalid base32 character " + Describe(text[i]) +
                                     " at position " + std::to_string(i) + why);
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
    buffer &= (1u << bits) - 1;
  }
  // The leftover bits are the zero fill of the last character; anything else
  // would give a second spelling of the same bytes.
  if (buffer != 0) {
    return Status::InvalidArgument(
        "base32 text is not canonical: unused bits of the last "
        "character are not zero");
  }
  return out;
}

}  // namespace kongsi::node
