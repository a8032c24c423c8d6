// A collection's past (DESIGN §4, §5):
//   GET /v1/collections/{collection}/log?limit=N&invalid=true
//   GET /v1/collections/{collection}/diff?from=V&to=V
//   GET /v1/collections/{collection}/datasets/{dataset}/records/{key}/history
//   GET /v1/collections/{collection}/conflicts?dataset=D
//   GET /v1/collections/{collection}/digest
// Besides typed values, responses carry the labels the CLI prints
// ("summary", "*_text"), so every client shows the same text.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "node/reader.h"
#include "node/value_text.h"
#include "server/api_json.h"
#include "server/api_router.h"
#include "server/api_url.h"

namespace kongsi::server {
namespace {

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

Result<ApiResponse> GetLog(const ApiContext& ctx, const ApiRequest& request) {
  uint64_t limit = 0;
  if (request.HasQuery("limit")) {
    auto n = request.QueryUint("limit");
    if (!n.ok()) return n.status();
    limit = *n;
  }
  auto invalid_only = request.QueryBool("invalid");
  if (!invalid_only.ok()) return invalid_only.status();
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::Reader reader(ctx.node, *coll);
  auto log = reader.Log(limit, *invalid_only);
  if (!log.ok()) return log.status();
  boost::json::array out;
  for (const auto& e : *log) {
    boost::json::array ops;
    for (const auto& s : e.op_summary) ops.push_back(boost::json::string(s));
    out.push_back(boost::json::object{{"author", reader.AuthorLabel(e.author)},
                                      {"seq", e.seq},
                                      {"hlc", e.hlc},
                                      {"time", HlcTime(e.hlc)},
                                      {"local_seq", e.local_seq},
                                      {"ops", e.op_count},
                                      {"summary", std::move(ops)},
                                      {"note", e.note},
                                      {"valid", e.valid},
                                      {"invalid_reason", e.invalid_reason}});
  }
  return ApiResponse::Json(std::move(out));
}

const char* KindName(node::RecordDiff::Kind kind) {
  switch (kind) {
    case node::RecordDiff::Kind::kAdded:
      return "added";
    case node::RecordDiff::Kind::kRemoved:
      return "removed";
    default:
      return "changed";
  }
}

Result<ApiResponse> GetDiff(const ApiContext& ctx, const ApiRequest& request) {
  if (request.Query("from").empty())
    return Status::InvalidArgument("query parameter from: required");
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::Reader reader(ctx.node, *coll);
  auto from = reader.ResolveVersion(request.Query("from"));
  if (!from.ok()) return from.status().WithContext("from");
  node::VersionVector to = reader.cache().vv;
  if (!request.Query("to").empty()) {
    auto v = reader.ResolveVersion(request.Query("to"));
    if (!v.ok()) return v.status().WithContext("to");
    to = std::move(v).value();
  }
  auto diff = reader.Diff(*from, to);
  if (!diff.ok()) return diff.status();
  boost::json::array records;
  for (const auto& d : *diff) {
    boost::json::array changes;
    for (const auto& c : d.changes) {
      changes.push_back(boost::json::object{{"field", c.field},
                                            {"before", node::ValueToJson(c.before)},
                                            {"after", node::ValueToJson(c.after)},
                                            {"before_text", ValueLabel(c.before)},
                                            {"after_text", ValueLabel(c.after)}});
    }
    records.push_back(boost::json::object{{"dataset", d.dataset},
                                          {"kind", KindName(d.kind)},
                                          {"key", KeyJson(d.key)},
                                          {"key_text", KeyText(d.key)},
                                          {"changes", std::move(changes)}});
  }
  return ApiResponse::Json(boost::json::object{{"from", reader.FormatVersion(*from)},
                                               {"to", reader.FormatVersion(to)},
                                               {"records", std::move(records)}});
}

// Key values typed per the dataset's key fields, so "007" finds integer 7.
Result<google::protobuf::RepeatedPtrField<v1::Value>> ParseKey(
    const v1::Schema& schema, const std::vector<std::string>& text) {
  if (static_cast<int>(text.size()) != schema.primary_key_size()) {
    return Status::InvalidArgument(
        "key: the dataset's key has " + std::to_string(schema.primary_key_size()) + " column(s) (" +
        Join({schema.primary_key().begin(), schema.primary_key().end()}, ",") + "), got " +
        std::to_string(text.size()) + " value(s)");
  }
  google::protobuf::RepeatedPtrField<v1::Value> key;
  for (int i = 0; i < schema.primary_key_size(); ++i) {
    v1::Field field;
    field.set_name(schema.primary_key(i));
    for (const auto& f : schema.fields()) {
      if (f.name() == schema.primary_key(i)) field = f;
    }
    auto v = node::ParseValue(text[i], field, schema, /*keep_lexical=*/false);
    if (!v.ok()) return v.status().WithContext("key " + field.name());
    *key.Add() = std::move(v).value();
  }
  return key;
}

std::string OpText(const v1::Op& op) {
  if (op.has_delete_()) return "delete";
  if (!op.has_upsert()) return "other";
  std::vector<std::string> cells;
  for (const auto& c : op.upsert().cells())
    cells.push_back(c.field() + "=" + ValueLabel(c.value()));
  return "upsert " + Join(cells, ", ");
}

Result<ApiResponse> GetHistory(const ApiContext& ctx, const ApiRequest& request) {
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::Reader reader(ctx.node, *coll);
  const std::string& dataset = request.param("dataset");
  KONGSI_RETURN_IF_ERROR(RequireDataset(reader, dataset));
  auto key =
      ParseKey(reader.cache().datasets.at(dataset).schema(), SplitCommas(request.param("key")));
  if (!key.ok()) return key.status();
  auto history = reader.History(dataset, *key);
  if (!history.ok()) return history.status();
  if (history->empty())
    return Status::NotFound("no record [" + KeyText(*key) + "] in dataset " + dataset);
  boost::json::array out;
  for (const auto& h : *history) {
    boost::json::object cells;
    if (h.op.has_upsert()) {
      for (const auto& c : h.op.upsert().cells()) cells[c.field()] = node::ValueToJson(c.value());
    }
    out.push_back(boost::json::object{{"author", reader.AuthorLabel(h.by.author())},
                                      {"seq", h.by.seq()},
                                      {"hlc", h.by.hlc()},
                                      {"time", HlcTime(h.by.hlc())},
                                      {"op_index", h.op_index},
                                      {"op", h.op.has_delete_() ? "delete" : "upsert"},
                                      {"cells", std::move(cells)},
                                      {"summary", OpText(h.op)},
                                      {"valid", h.valid},
                                      {"note", h.note}});
  }
  return ApiResponse::Json(std::move(out));
}

Result<ApiResponse> GetConflicts(const ApiContext& ctx, const ApiRequest& request) {
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::Reader reader(ctx.node, *coll);
  auto conflicts = reader.Conflicts(request.Query("dataset"));
  if (!conflicts.ok()) return conflicts.status();
  boost::json::array out;
  for (const auto& c : *conflicts) {
    boost::json::array losers;
    for (const auto& l : c.losers) {
      losers.push_back(boost::json::object{{"value", node::ValueToJson(l.value())},
                                           {"value_text", ValueLabel(l.value())},
                                           {"author", reader.AuthorLabel(l.by().author())},
                                           {"seq", l.by().seq()}});
    }
    out.push_back(boost::json::object{{"dataset", c.dataset},
                                      {"key", KeyJson(c.key)},
                                      {"key_text", KeyText(c.key)},
                                      {"field", c.field},
                                      {"value", node::ValueToJson(c.value)},
                                      {"value_text", ValueLabel(c.value)},
                                      {"author", reader.AuthorLabel(c.by.author())},
                                      {"seq", c.by.seq()},
                                      {"losers", std::move(losers)}});
  }
  return ApiResponse::Json(std::move(out));
}

Result<ApiResponse> GetDigest(const ApiContext& ctx, const ApiRequest& request) {
  auto coll = PathCollection(ctx, request);
  if (!coll.ok()) return coll.status();
  node::Reader reader(ctx.node, *coll);
  auto digest = reader.Digest();
  if (!digest.ok()) return digest.status();
  return ApiResponse::Json(boost::json::object{{"collection", node::HexId(*coll)},
                                               {"version", reader.FormatVersion(reader.cache().vv)},
                                               {"digest", *digest}});
}

}  // namespace

void AddHistoryRoutes(ApiRouter& router) {
  router.Add({"GET", "/v1/collections/{collection}/log", ApiRole::kViewer, ApiBody::kNone, GetLog});
  router.Add(
      {"GET", "/v1/collections/{collection}/diff", ApiRole::kViewer, ApiBody::kNone, GetDiff});
  router.Add({"GET", "/v1/collections/{collection}/datasets/{dataset}/records/{key}/history",
              ApiRole::kViewer, ApiBody::kNone, GetHistory});
  router.Add({"GET", "/v1/collections/{collection}/conflicts", ApiRole::kViewer, ApiBody::kNone,
              GetConflicts});
  router.Add(
      {"GET", "/v1/collections/{collection}/digest", ApiRole::kViewer, ApiBody::kNone, GetDigest});
}

}  // namespace kongsi::server
