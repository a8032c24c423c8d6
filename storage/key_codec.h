// Order-preserving key encoding. Byte-wise comparison of encoded keys gives
// the natural order of their parts: unsigned integers big-endian, byte strings
// escaped and terminated so that a prefix sorts first, typed values by type
// tag then value (integers and numbers numerically).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <google/protobuf/repeated_ptr_field.h>

#include "kongsi/v1/value.pb.h"

namespace kongsi::storage {

void AppendU64(std::string* out, uint64_t v);
[[nodiscard]] bool ConsumeU64(std::string_view* in, uint64_t* v);

// Any bytes: 0x00 is written 0x00 0xFF; the part ends with 0x00 0x01.
void AppendBytes(std::string* out, std::string_view s);
[[nodiscard]] bool ConsumeBytes(std::string_view* in, std::string* s);

// Fixed-width parts (ids, public keys) are appended raw by the caller.
[[nodiscard]] bool ConsumeFixed(std::string_view* in, size_t n, std::string* s);

// A typed value. `lexical` is not part of a key: keys compare by value.
void AppendValue(std::string* out, const v1::Value& v);
[[nodiscard]] bool ConsumeValue(std::string_view* in, v1::Value* v);

// A whole primary key: its values in order.
std::string EncodeKey(const google::protobuf::RepeatedPtrField<v1::Value>& key);
void AppendKey(std::string* out, const google::protobuf::RepeatedPtrField<v1::Value>& key);

}  // namespace kongsi::storage
