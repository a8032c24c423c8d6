// Names for versions of a collection, made by Tag ops and replicated like
// data (DESIGN §1, §5):
//   GET  /v1/collections/{collection}/tags
//   POST /v1/collections/{collection}/tags  {"name": "...", "message": "..."}
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "node/reader.h"
#include "server/api_json.h"
#include "server/api_router.h"

namespace kongsi::server {
namespace {

Result<ApiResponse> CreateTag(const ApiContext& ctx, const ApiRequest& request) {
  auto body = ParseJsonBody(request.body);
  if (!body.ok()) return body.status();
  std::string name, message;
  KONGSI_RETURN_IF_ERROR(BodyString(*body, "name", true, &name));
  KONGSI_RETURN_IF_ERROR(BodyString(*body, "message", false, &message));
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::VersionVector current;
  {
    node::Reader reader(ctx.node, *coll);
    for (const auto& t : reader.Tags()) {
      // Tags merge last-writer-wins across nodes; locally, moving a tag by
      // accident would silently change what `as_of=NAME` means.
      if (t.name() == name) {
        return Status::AlreadyExists("tag \"" + name + "\" already names version " +
                                     reader.FormatVersion(node::VersionVector::FromProto(t.vv())));
      }
    }
    current = reader.cache().vv;
  }
  v1::Op op;
  op.mutable_tag()->set_name(name);
  *op.mutable_tag()->mutable_vv() = current.ToProto();
  std::vector<v1::Op> ops{op};
  auto applied = ctx.node.CommitOps(*coll, std::move(ops), message);
  if (!applied.ok()) return applied.status();
  node::Reader reader(ctx.node, *coll);
  return ApiResponse::Json(boost::json::object{{"name", name},
                                               {"version", reader.FormatVersion(current)},
                                               {"vv", VersionJson(current)},
                                               {"note", message}},
                           201);
}

Result<ApiResponse> ListTags(const ApiContext& ctx, const ApiRequest& request) {
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::Reader reader(ctx.node, *coll);
  boost::json::array out;
  for (const auto& t : reader.Tags()) {
    node::VersionVector vv = node::VersionVector::FromProto(t.vv());
    out.push_back(boost::json::object{{"name", t.name()},
                                      {"version", reader.FormatVersion(vv)},
                                      {"vv", VersionJson(vv)},
                                      {"author", reader.AuthorLabel(t.by().author())},
                                      {"seq", t.by().seq()},
                                      {"time", HlcTime(t.by().hlc())},
                                      {"note", t.note()}});
  }
  return ApiResponse::Json(std::move(out));
}

}  // namespace

void AddTagRoutes(ApiRouter& router) {
  router.Add(
      {"GET", "/v1/collections/{collection}/tags", ApiRole::kViewer, ApiBody::kNone, ListTags});
  router.Add({"POST", "/v1/collections/{collection}/tags", ApiRole::kPublisher, ApiBody::kJson,
              CreateTag});
}

}  // namespace kongsi::server
