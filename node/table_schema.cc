#include "node/table_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>
#include <cctype>
#include <fstream>
#include <unordered_map>

#include "node/csv_reader.h"
#include "node/value_text.h"

namespace kongsi::node {
namespace {

namespace json = boost::json;

std::string Join(const std::string& prefix, const std::string& rest) {
  return prefix.empty() ? rest : prefix + "." + rest;
}

Status Invalid(const std::string& source, const std::string& path, const std::string& message) {
  return Status::InvalidArgument(source + ": " + (path.empty() ? "" : path + ": ") + message);
}

std::string QuotedList(const std::vector<std::string>& names) {
  constexpr size_t kMaxListed = 30;
  std::string out;
  for (size_t i = 0; i < names.size() && i < kMaxListed; ++i) {
    out += (i ? ", \"" : "\"") + names[i] + "\"";
  }
  if (names.size() > kMaxListed) out += fmt::format(" and {} more", names.size() - kMaxListed);
  return out;
}

// Lower case with surrounding spaces removed, to suggest near misses.
std::string Folded(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  std::string out;
  for (char c : s) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

// Reads an optional string property; false (with *error set) if it has
// another JSON type.
bool OptionalString(const json::object& o, const char* key, const std::string& source,
                    const std::string& path, std::string* out, Status* error) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return true;
  if (!v->is_string()) {
    *error = Invalid(source, Join(path, key), "must be a string");
    return false;
  }
  *out = std::string(v->get_string());
  return true;
}

Result<v1::Field> ParseField(const json::value& v, const std::string& source,
                             const std::string& path) {
  if (!v.is_object()) return Invalid(source, path, "a field must be a JSON object");
  const json::object& o = v.get_object();
  v1::Field field;
  std::string type = "string", format;
  Status error;
  if (!o.contains("name")) return Invalid(source, path, "the field has no \"name\"");
  if (!OptionalString(o, "name", source, path, field.mutable_name(), &error) ||
      !OptionalString(o, "type", source, path, &type, &error) ||
      !OptionalString(o, "format", source, path, &format, &error) ||
      !OptionalString(o, "title", source, path, field.mutable_title(), &error) ||
      !OptionalString(o, "description", source, path, field.mutable_description(), &error)) {
    return error;
  }
  if (field.name().empty()) return Invalid(source, Join(path, "name"), "must not be empty");
  if (type.empty() || !IsKnownFieldType(type)) {
    return Invalid(
        source, Join(path, "type"),
        fmt::format("unknown type \"{}\" (known: string, integer, number, boolean, date, "
                    "datetime, year, any, and time, yearmonth, duration, geopoint, "
                    "geojson, object, array kept as text)",
                    type));
  }
  if ((type == "date" || type == "datetime" || type == "time") && !format.empty() &&
      format != "default" && format != "any") {
    return Invalid(source, Join(path, "format"),
                   fmt::format("{} format \"{}\" is not supported (only ISO 8601, \"default\")",
                               type, format));
  }
  // Properties that change how text reads as a value: honour or refuse.
  const json::value* p = nullptr;
  if ((p = o.if_contains("decimalChar")) && !(p->is_string() && p->get_string() == ".")) {
    return Invalid(source, Join(path, "decimalChar"), "not supported (only \".\")");
  }
  if ((p = o.if_contains("groupChar")) && !(p->is_string() && p->get_string().empty())) {
    return Invalid(source, Join(path, "groupChar"), "not supported (numbers must be plain)");
  }
  if ((p = o.if_contains("bareNumber")) && !(p->is_bool() && p->get_bool())) {
    return Invalid(source, Join(path, "bareNumber"), "not supported (only true)");
  }
  for (const char* key : {"trueValues", "falseValues"}) {
    if (o.contains(key)) {
      return Invalid(source, Join(path, key),
                     "not supported (booleans are true/True/TRUE/1 and false/False/FALSE/0)");
    }
  }
  if (const json::value* c = o.if_contains("constraints")) {
    if (!c->is_object()) return Invalid(source, Join(path, "constraints"), "must be an object");
    if (const json::value* r = c->get_object().if_contains("required")) {
      if (!r->is_bool()) {
        return Invalid(source, Join(path, "constraints.required"), "must be true or false");
      }
      field.set_required(r->get_bool());
    }
  }
  field.set_type(type);
  field.set_format(format);
  return field;
}

void WritePretty(const json::value& v, int indent, std::string* out) {
  const std::string pad(static_cast<size_t>(indent) + 2, ' ');
  if (v.is_object() && !v.get_object().empty()) {
    *out += "{\n";
    bool first = true;
    for (const auto& kv : v.get_object()) {
      *out += (first ? "" : ",\n") + pad + json::serialize(json::string(kv.key())) + ": ";
      WritePretty(kv.value(), indent + 2, out);
      first = false;
    }
    *out += "\n" + std::string(static_cast<size_t>(indent), ' ') + "}";
    return;
  }
  if (v.is_array()) {
    const json::array& a = v.get_array();
    const bool flat = std::none_of(
        a.begin(), a.end(), [](const json::value& e) { return e.is_object() || e.is_array(); });
    if (flat) {  // ["a", "b"] reads better on one line
      *out += json::serialize(v);
      return;
    }
    *out += "[\n";
    for (size_t i = 0; i < a.size(); ++i) {
      *out += (i ? ",\n" : "") + pad;
      WritePretty(a[i], indent + 2, out);
    }
    *out += "\n" + std::string(static_cast<size_t>(indent), ' ') + "]";
    return;
  }
  *out += json::serialize(v);
}

}  // namespace

Result<json::value> ParseJsonText(std::string_view text, const std::string& source_name) {
  json::stream_parser parser;
  boost::system::error_code ec;
  size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) {
    parser.finish(ec);
    consumed = text.size();
  }
  if (ec) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < consumed && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line, column = 1;
      } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
        ++column;
      }
    }
    return Status::InvalidArgument(fmt::format("{}: not valid JSON at line {}, column {}: {}",
                                               source_name, line, column, ec.message()));
  }
  return parser.release();
}

Result<json::value> ReadJsonFile(const std::string& path, size_t max_bytes,
                                 const char* limit_name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open");
  std::string text(max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return Status::IoError(path + ": read failed");
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > max_bytes) {
    return Status::ResourceExhausted(
        fmt::format("{}: more than the limit of {} bytes ({})", path, max_bytes, limit_name));
  }
  return ParseJsonText(text, path);
}

std::string ToPrettyJson(const json::value& value) {
  std::string out;
  WritePretty(value, 0, &out);
  out += "\n";
  return out;
}

Result<v1::Schema> ParseTableSchema(std::string_view text, const std::string& source_name) {
  if (text.size() > kMaxSchemaJsonBytes) {
    return Status::ResourceExhausted(
        fmt::format("{}: the schema is {} bytes, more than the limit of {} (kMaxSchemaJsonBytes)",
                    source_name, text.size(), kMaxSchemaJsonBytes));
  }
  Result<json::value> doc = ParseJsonText(text, source_name);
  if (!doc.ok()) return doc.status();
  return TableSchemaFromJson(*doc, source_name, "");
}

Result<v1::Schema> ReadTableSchemaFile(const std::string& path) {
  Result<json::value> doc = ReadJsonFile(path, kMaxSchemaJsonBytes, "kMaxSchemaJsonBytes");
  if (!doc.ok()) return doc.status();
  return TableSchemaFromJson(*doc, path, "");
}

Result<v1::Schema> TableSchemaFromJson(const json::value& doc, const std::string& source_name,
                                       const std::string& json_path) {
  if (!doc.is_object())
    return Invalid(source_name, json_path, "a Table Schema must be a JSON object");
  const json::object& o = doc.get_object();
  const json::value* fields = o.if_contains("fields");
  if (fields == nullptr || !fields->is_array()) {
    return Invalid(source_name, Join(json_path, "fields"), "must be an array of fields");
  }
  if (fields->get_array().size() > kMaxFields) {
    return Status::ResourceExhausted(
        fmt::format("{}: {}: {} fields, more than the limit of {} (kMaxFields)", source_name,
                    Join(json_path, "fields"), fields->get_array().size(), kMaxFields));
  }
  v1::Schema schema;
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < fields->get_array().size(); ++i) {
    const std::string path = Join(json_path, fmt::format("fields[{}]", i));
    Result<v1::Field> field = ParseField(fields->get_array()[i], source_name, path);
    if (!field.ok()) return field.status();
    auto [it, inserted] = index.emplace(field->name(), i);
    if (!inserted) {
      return Invalid(
          source_name, path + ".name",
          fmt::format("duplicate field name \"{}\" (also fields[{}])", field->name(), it->second));
    }
    *schema.add_fields() = std::move(*field);
  }

  if (const json::value* pk = o.if_contains("primaryKey")) {
    const std::string path = Join(json_path, "primaryKey");
    std::vector<std::pair<std::string, std::string>> keys;  // name, path
    if (pk->is_string()) {
      keys.emplace_back(std::string(pk->get_string()), path);
    } else if (pk->is_array()) {
      for (size_t i = 0; i < pk->get_array().size(); ++i) {
        const json::value& k = pk->get_array()[i];
        const std::string kpath = fmt::format("{}[{}]", path, i);
        if (!k.is_string()) return Invalid(source_name, kpath, "must be a field name (a string)");
        keys.emplace_back(std::string(k.get_string()), kpath);
      }
    } else {
      return Invalid(source_name, path, "must be a field name or an array of field names");
    }
    for (const auto& [name, kpath] : keys) {
      if (!index.contains(name)) {
        std::vector<std::string> names;
        for (const v1::Field& f : schema.fields()) names.push_back(f.name());
        return Invalid(
            source_name, kpath,
            fmt::format("\"{}\" is not a field (fields are: {})", name, QuotedList(names)));
      }
      if (std::find(schema.primary_key().begin(), schema.primary_key().end(), name) !=
          schema.primary_key().end()) {
        return Invalid(source_name, kpath, fmt::format("\"{}\" is named twice", name));
      }
      schema.add_primary_key(name);
    }
  }

  if (const json::value* mv = o.if_contains("missingValues")) {
    const std::string path = Join(json_path, "missingValues");
    if (!mv->is_array()) return Invalid(source_name, path, "must be an array of strings");
    for (size_t i = 0; i < mv->get_array().size(); ++i) {
      const json::value& m = mv->get_array()[i];
      if (!m.is_string()) {
        return Invalid(source_name, fmt::format("{}[{}]", path, i), "must be a string");
      }
      schema.add_missing_values(std::string(m.get_string()));
    }
  }
  return schema;
}

json::object TableSchemaToJsonObject(const v1::Schema& schema) {
  json::object out;
  json::array fields;
  for (const v1::Field& f : schema.fields()) {
    json::object jf;
    jf["name"] = f.name();
    jf["type"] = f.type().empty() ? "string" : f.type();
    if (!f.format().empty()) jf["format"] = f.format();
    if (!f.title().empty()) jf["title"] = f.title();
    if (!f.description().empty()) jf["description"] = f.description();
    if (f.required()) jf["constraints"] = json::object{{"required", true}};
    fields.emplace_back(std::move(jf));
  }
  out["fields"] = std::move(fields);
  if (!schema.synthetic_key() && !schema.primary_key().empty()) {
    json::array pk;
    for (const std::string& k : schema.primary_key()) pk.emplace_back(k);
    out["primaryKey"] = std::move(pk);
  }
  if (!schema.missing_values().empty()) {
    json::array mv;
    for (const std::string& m : schema.missing_values()) mv.emplace_back(m);
    out["missingValues"] = std::move(mv);
  }
  return out;
}

std::string TableSchemaToJson(const v1::Schema& schema) {
  return ToPrettyJson(TableSchemaToJsonObject(schema));
}

Status CheckKeyColumns(const std::vector<std::string>& key_columns,
                       const std::vector<std::string>& header) {
  for (size_t i = 0; i < key_columns.size(); ++i) {
    const std::string& key = key_columns[i];
    if (std::find(key_columns.begin(), key_columns.begin() + static_cast<std::ptrdiff_t>(i), key) !=
        key_columns.begin() + static_cast<std::ptrdiff_t>(i)) {
      return Status::InvalidArgument(fmt::format("key column \"{}\" is named twice", key));
    }
    if (std::find(header.begin(), header.end(), key) != header.end()) continue;
    std::string hint;
    for (const std::string& h : header) {
      if (Folded(h) == Folded(key)) hint = fmt::format(" (did you mean \"{}\"?)", h);
    }
    return Status::InvalidArgument(
        fmt::format("key column \"{}\" is not in the header{}; the "
                    "columns are: {}",
                    key, hint, QuotedList(header)));
  }
  return Status::Ok();
}

Status CheckKeyColumns(const v1::Schema& schema, const std::vector<std::string>& header) {
  return CheckKeyColumns(
      std::vector<std::string>(schema.primary_key().begin(), schema.primary_key().end()), header);
}

Status CheckHeaderMatchesSchema(const v1::Schema& schema, const std::vector<std::string>& header) {
  const size_t n = std::min(header.size(), static_cast<size_t>(schema.fields_size()));
  for (size_t i = 0; i < n; ++i) {
    const std::string& want = schema.fields(static_cast<int>(i)).name();
    if (header[i] != want) {
      return Status::InvalidArgument(fmt::format(
          "column {} is \"{}\" in the file but \"{}\" in the schema", i + 1, header[i], want));
    }
  }
  if (header.size() != static_cast<size_t>(schema.fields_size())) {
    return Status::InvalidArgument(
        fmt::format("the file has {} columns but the schema has {} fields", header.size(),
                    schema.fields_size()));
  }
  return Status::Ok();
}

Result<v1::Schema> SchemaFromHeader(const std::vector<std::string>& header,
                                    const std::vector<std::string>& types,
                                    const std::vector<std::string>& key_columns) {
  if (header.empty()) return Status::InvalidArgument("the header has no columns");
  if (header.size() > kMaxFields) {
    return Status::ResourceExhausted(
        fmt::format("the header has {} columns, more than the limit of {} (kMaxFields)",
                    header.size(), kMaxFields));
  }
  if (types.size() != header.size()) {
    return Status::InvalidArgument(
        fmt::format("{} types given for {} columns", types.size(), header.size()));
  }
  v1::Schema schema;
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i].empty()) {
      return Status::InvalidArgument(
          fmt::format("column {} has an empty name in the header", i + 1));
    }
    auto [it, inserted] = seen.emplace(header[i], i);
    if (!inserted) {
      return Status::InvalidArgument(
          fmt::format("columns {} and {} are both named \"{}\"", it->second + 1, i + 1, header[i]));
    }
    if (!IsKnownFieldType(types[i])) {
      return Status::InvalidArgument(
          fmt::format("column {} (\"{}\"): unknown type \"{}\"", i + 1, header[i], types[i]));
    }
    v1::Field* field = schema.add_fields();
    field->set_name(header[i]);
    field->set_type(types[i].empty() ? "string" : types[i]);
  }
  KONGSI_RETURN_IF_ERROR(CheckKeyColumns(key_columns, header));
  for (const std::string& k : key_columns) schema.add_primary_key(k);
  return schema;
}

}  // namespace kongsi::node
