// Checks of single ops against a collection's schema and ACL, shared by the
// commit pipeline (local and remote commits are checked alike, DESIGN §3).
#pragma once

#include <map>
#include <string>

#include "kongsi/v1/commit.pb.h"
#include "kongsi/v1/state.pb.h"
#include "storage/status.h"

namespace kongsi::node {

// Named limits (docs/LIMITS.md).
inline constexpr size_t kMaxObjectNameBytes = 256;        // collection, dataset, field, tag names
inline constexpr size_t kMaxFieldsPerDataset = 4096;
inline constexpr size_t kMaxCellBytes = 1u << 20;

bool IsKnownType(const std::string& type);
// A dataset/field/tag name: 1..kMaxObjectNameBytes bytes of valid UTF-8, no
// control characters.
Status CheckName(const std::string& what, const std::string& name);
Status CheckSchema(const v1::Schema& schema);
// `value` fits a field of type `type` (null always fits).
Status CheckValueType(const v1::Value& value, const v1::Field& field);
Status CheckKey(const google::protobuf::RepeatedPtrField<v1::Value>& key, const v1::Schema& schema);
Status CheckUpsert(const v1::Upsert& op, const v1::Schema& schema);
const v1::Field* FindField(const v1::Schema& schema, const std::string& name);
bool IsKeyField(const v1::Schema& schema, const std::string& name);

}  // namespace kongsi::node
