#include "node/op_validation.h"
#include "node/value_text.h"

#include <algorithm>
#include <set>
#include <vector>

namespace kongsi::node {
namespace {

bool ValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n;
  }
  return true;
}

std::string TypeOf(const v1::Value& v) {
  switch (v.kind_case()) {
    case v1::Value::kStringValue: return "string";
    case v1::Value::kIntegerValue: return "integer";
    case v1::Value::kNumberValue: return "number";
    case v1::Value::kBooleanValue: return "boolean";
    case v1::Value::kDateValue: return "date";
    case v1::Value::kDatetimeValue: return "datetime";
    case v1::Value::KIND_NOT_SET: return "null";
  }
  return "?";
}

// The text a cell holds: its string (or date, datetime) and its lexical
// source text; not the protobuf framing, so that a CSV field of
// kMaxFieldBytes (the same 1 MiB) fits a cell. Other kinds add <= 8 bytes.
size_t CellBytes(const v1::Value& value) {
  size_t n = value.lexical().size();
  switch (value.kind_case()) {
    case v1::Value::kStringValue: return n + value.string_value().size();
    case v1::Value::kDateValue: return n + value.date_value().size();
    case v1::Value::kDatetimeValue: return n + value.datetime_value().size();
    default: return n;
  }
}

}  // namespace

bool IsKnownType(const std::string& type) { return !type.empty() && IsKnownFieldType(type); }

Status CheckName(const std::string& what, const std::string& name) {
  if (name.empty()) return Status::InvalidArgument(what + " name is empty");
  if (name.size() > kMaxObjectNameBytes) {
    return Status::InvalidArgument(what + " name is longer than " + std::to_string(kMaxObjectNameBytes) +
                                   " bytes, the limit (kMaxObjectNameBytes)");
  }
  if (!ValidUtf8(name)) return Status::InvalidArgument(what + " name is not valid UTF-8");
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return Status::InvalidArgument(what + " name \"" + name + "\" contains a control character");
    }
  }
  return Status::Ok();
}

const v1::Field* FindField(const v1::Schema& schema, const std::string& name) {
  for (const auto& f : schema.fields()) {
    if (f.name() == name) return &f;
  }
  return nullptr;
}

bool IsKeyField(const v1::Schema& schema, const std::string& name) {
  return std::find(schema.primary_key().begin(), schema.primary_key().end(), name) !=
         schema.primary_key().end();
}

Status CheckSchema(const v1::Schema& schema) {
  if (schema.fields_size() == 0) return Status::InvalidArgument("schema has no fields");
  if (static_cast<size_t>(schema.fields_size()) > kMaxFieldsPerDataset) {
    return Status::ResourceExhausted("schema has more than " +
                                     std::to_string(kMaxFieldsPerDataset) +
                                     " fields, the limit (kMaxFieldsPerDataset)");
  }
  std::set<std::string> names;
  for (int i = 0; i < schema.fields_size(); ++i) {
    const auto& f = schema.fields(i);
    KONGSI_RETURN_IF_ERROR(CheckName("field " + std::to_string(i + 1), f.name()));
    if (!names.insert(f.name()).second) {
      return Status::InvalidArgument("field \"" + f.name() + "\" appears twice");
    }
    if (!IsKnownType(f.type())) {
      return Status::InvalidArgument("field \"" + f.name() + "\": unknown type \"" + f.type() + "\"");
    }
  }
  if (schema.primary_key_size() == 0) return Status::InvalidArgument("schema has no primary key");
  for (const auto& k : schema.primary_key()) {
    if (!names.count(k)) {
      return Status::InvalidArgument("primary key field \"" + k + "\" is not a field");
    }
  }
  return Status::Ok();
}

Status CheckValueType(const v1::Value& value, const v1::Field& field) {
  // First: a null's lexical text counts too.
  if (CellBytes(value) > kMaxCellBytes) {
    return Status::ResourceExhausted("field \"" + field.name() + "\": value over " +
                                     std::to_string(kMaxCellBytes) + " bytes, the limit (kMaxCellBytes)");
  }
  if (value.kind_case() == v1::Value::KIND_NOT_SET) return Status::Ok();
  std::string want = field.type();
  if (want == "year") want = "integer";
  else if (want != "integer" && want != "number" && want != "boolean" && want != "date" && want != "datetime") want = "string";
  std::string got = TypeOf(value);
  if (got != want) {
    return Status::InvalidArgument("field \"" + field.name() + "\" is " + field.type() +
                                   " but the value is " + got);
  }
  if (value.kind_case() == v1::Value::kStringValue && !ValidUtf8(value.string_value())) {
    return Status::InvalidArgument("field \"" + field.name() + "\": string is not valid UTF-8");
  }
  return Status::Ok();
}

Status CheckKey(const google::protobuf::RepeatedPtrField<v1::Value>& key, const v1::Schema& schema) {
  if (key.size() != schema.primary_key_size()) {
    return Status::InvalidArgument("key has " + std::to_string(key.size()) + " values, primary key has " +
                                   std::to_string(schema.primary_key_size()) + " fields");
  }
  for (int i = 0; i < key.size(); ++i) {
    const v1::Field* f = FindField(schema, schema.primary_key(i));
    if (key[i].kind_case() == v1::Value::KIND_NOT_SET) {
      return Status::InvalidArgument("key field \"" + schema.primary_key(i) + "\" is empty");
    }
    KONGSI_RETURN_IF_ERROR(CheckValueType(key[i], *f));
  }
  return Status::Ok();
}

Status CheckUpsert(const v1::Upsert& op, const v1::Schema& schema) {
  KONGSI_RETURN_IF_ERROR(CheckKey(op.key(), schema));
  // Fields already set, by schema position: a flag each rather than a set
  // of names (this runs for every row of every import and sync).
  std::vector<bool> seen(schema.fields_size(), false);
  for (const auto& cell : op.cells()) {
    int index = 0;
    while (index < schema.fields_size() && schema.fields(index).name() != cell.field()) ++index;
    if (index == schema.fields_size()) {
      return Status::InvalidArgument("no field \"" + cell.field() + "\" in the schema");
    }
    const v1::Field* f = &schema.fields(index);
    if (IsKeyField(schema, cell.field())) {
      return Status::InvalidArgument("field \"" + cell.field() + "\" is part of the key, not a cell");
    }
    if (seen[index]) return Status::InvalidArgument("field \"" + cell.field() + "\" is set twice");
    seen[index] = true;
    KONGSI_RETURN_IF_ERROR(CheckValueType(cell.value(), *f));
  }
  return Status::Ok();
}

}  // namespace kongsi::node
