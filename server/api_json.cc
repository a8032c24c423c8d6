#include "server/api_json.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <ctime>

#include "node/identity.h"
#include "node/value_text.h"

namespace kongsi::server {

boost::json::object VersionJson(const node::VersionVector& vv) {
  boost::json::object out;
  for (const auto& [author, seq] : vv.entries()) {
    out[node::NodeIdText(node::NodeIdFromPublicKey(author))] = seq;
  }
  return out;
}

std::string ValueLabel(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::KIND_NOT_SET:
      return "null";
    case v1::Value::kIntegerValue:
    case v1::Value::kNumberValue:
    case v1::Value::kBooleanValue:
      return node::RenderText(value);
    default:
      return boost::json::serialize(boost::json::value(node::RenderText(value)));
  }
}

std::string KeyText(const google::protobuf::RepeatedPtrField<v1::Value>& key) {
  std::string out;
  for (int i = 0; i < key.size(); ++i) {
    if (i > 0) out += ",";
    out += node::RenderText(key.Get(i));
  }
  return out;
}

boost::json::array KeyJson(const google::protobuf::RepeatedPtrField<v1::Value>& key) {
  boost::json::array out;
  for (const auto& v : key) out.push_back(node::ValueToJson(v));
  return out;
}

std::string HlcTime(uint64_t hlc) { return MsTime(hlc >> 16); }

std::string MsTime(uint64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

std::string ShortIdText(std::string_view node_id_text) {
  return std::string(node_id_text.substr(0, 8));
}

std::string CommitLabel(std::string_view author_node_id_text, uint64_t seq) {
  return ShortIdText(author_node_id_text) + ":" + std::to_string(seq);
}

Status BodyString(const boost::json::object& body, const char* field, bool required,
                  std::string* out) {
  const boost::json::value* v = body.if_contains(field);
  if (v == nullptr) {
    return required
               ? Status::InvalidArgument(std::string("request body: \"") + field + "\" is required")
               : Status::Ok();
  }
  if (!v->is_string())
    return Status::InvalidArgument(std::string("request body: \"") + field +
                                   "\": expected a string");
  *out = std::string(v->get_string());
  return Status::Ok();
}

Status BodyBool(const boost::json::object& body, const char* field, bool* out) {
  const boost::json::value* v = body.if_contains(field);
  if (v == nullptr) return Status::Ok();
  if (!v->is_bool())
    return Status::InvalidArgument(std::string("request body: \"") + field +
                                   "\": expected true or false");
  *out = v->get_bool();
  return Status::Ok();
}

bool ParseDelimiter(const std::string& text, char* out) {
  if (text == "tab" || text == "\\t" || text == "\t") {
    *out = '\t';
  } else if (text == "," || text == ";" || text == "|") {
    *out = text[0];
  } else {
    return false;
  }
  return true;
}

Status RequireDataset(const node::Reader& reader, const std::string& dataset) {
  if (reader.cache().datasets.count(dataset)) return Status::Ok();
  return Status::NotFound("no dataset \"" + dataset + "\" in collection " +
                          reader.cache().info.name());
}

Result<std::string> PathCollection(const ApiContext& ctx, const ApiRequest& request) {
  return ctx.node.ResolveCollection(request.param("collection"));
}

}  // namespace kongsi::server
