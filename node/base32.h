// RFC 4648 base32 (the "base32" alphabet, not "base32hex"), without padding.
// Node IDs are written this way (DESIGN §1): SHA-256 of a public key becomes
// 52 upper-case characters that survive case-folding and dictation.
#pragma once

#include <string>
#include <string_view>

#include "storage/status.h"

namespace kongsi::node {

// Upper-case, no '=' padding. Base32Encode("foobar") == "MZXW6YTBOI".
std::string Base32Encode(std::string_view bytes);

// Inverse of Base32Encode. Accepts lower case. Rejects, with an
// InvalidArgument naming the offending character and its position: '='
// padding, characters outside the alphabet, lengths no encoding produces
// (length % 8 in {1, 3, 6}), and non-zero unused trailing bits — so every
// byte string has exactly one accepted text, which matters for IDs.
Result<std::string> Base32Decode(std::string_view text);

}  // namespace kongsi::node
