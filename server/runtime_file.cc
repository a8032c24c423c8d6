#include "server/runtime_file.h"

#include <unistd.h>

#include <boost/json.hpp>

#include "server/data_file.h"

namespace kongsi::server {
namespace {

namespace json = boost::json;

Status GetString(const json::object& obj, const char* key, const std::string& origin, std::string* out) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr) return Status::Ok();  // optional: the API fields come later
  if (!v->is_string()) return Status::InvalidArgument(origin + ": \"" + key + "\": expected a string");
  *out = std::string(v->get_string());
  return Status::Ok();
}

}  // namespace

std::string RuntimeFilePath(const std::string& data_dir) { return data_dir + "/" + kRuntimeFileName; }

Status WriteRuntimeFile(const std::string& data_dir, const RuntimeInfo& info) {
  json::object obj{{"pid", info.pid},
                   {"node_id", info.node_id},
                   {"peer_url", info.peer_url},
                   {"api_url", info.api_url},
                   {"api_token", info.api_token}};
  return WriteFileAtomically(RuntimeFilePath(data_dir), json::serialize(obj) + "\n", 0600);
}

Result<RuntimeInfo> ReadRuntimeFile(const std::string& data_dir) {
  const std::string path = RuntimeFilePath(data_dir);
  auto text = ReadSmallFile(path, kMaxRuntimeFileBytes);
  if (!text.ok()) return text.status();
  json::error_code ec;
  json::value root = json::parse(*text, ec);
  if (ec || !root.is_object()) return Status::InvalidArgument(path + ": not a JSON object");
  const json::object& obj = root.get_object();
  RuntimeInfo info;
  const json::value* pid = obj.if_contains("pid");
  if (pid == nullptr || !pid->is_int64()) return Status::InvalidArgument(path + ": \"pid\": expected an integer");
  info.pid = pid->get_int64();
  KONGSI_RETURN_IF_ERROR(GetString(obj, "node_id", path, &info.node_id));
  KONGSI_RETURN_IF_ERROR(GetString(obj, "peer_url", path, &info.peer_url));
  KONGSI_RETURN_IF_ERROR(GetString(obj, "api_url", path, &info.api_url));
  KONGSI_RETURN_IF_ERROR(GetString(obj, "api_token", path, &info.api_token));
  return info;
}

void RemoveRuntimeFile(const std::string& data_dir) { ::unlink(RuntimeFilePath(data_dir).c_str()); }

}  // namespace kongsi::server
