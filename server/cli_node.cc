// `kongsi init`, `kongsi id`, `kongsi status`: the node itself.
#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <vector>

#include "node/reader.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"

namespace kongsi::server {
namespace {

Status RunInit(const CliContext& ctx, const std::string& name) {
  auto node = node::Node::Init(ctx.data_dir, name);
  if (!node.ok()) return node.status();
  const auto& id = (*node)->identity();
  if (ctx.json) {
    PrintJson(*ctx.out,
              boost::json::object{
                  {"node_id", id.node_id_text()}, {"name", id.name()}, {"data_dir", ctx.data_dir}});
  } else {
    *ctx.out << id.node_id_text() << '\n';
  }
  return Status::Ok();
}

Status RunId(const CliContext& ctx) {
  auto node = ctx.OpenNode();
  if (!node.ok()) return node.status();
  const auto& id = (*node)->identity();
  if (ctx.json) {
    PrintJson(*ctx.out, boost::json::object{{"node_id", id.node_id_text()},
                                            {"name", id.name()},
                                            {"public_key", node::HexId(id.public_key())}});
  } else {
    *ctx.out << id.node_id_text() << '\n';
  }
  return Status::Ok();
}

Status RunStatus(const CliContext& ctx) {
  auto opened = ctx.OpenNode();
  if (!opened.ok()) return opened.status();
  const node::Node& n = **opened;
  const auto& id = n.identity();
  node::NodeCounters counters = n.counters();
  std::vector<std::string> alarms = n.Alarms();

  struct Row {
    v1::CollectionInfo info;
    node::CollectionCache cache;
    std::string version;
  };
  std::vector<Row> rows;
  for (const auto& info : n.ListCollections()) {
    auto cache = n.Collection(info.id());
    if (!cache.ok()) return cache.status();
    node::Reader reader(n, info.id());
    rows.push_back({info, std::move(cache).value(), {}});
    rows.back().version = reader.FormatVersion(rows.back().cache.vv);
  }

  if (ctx.json) {
    boost::json::array colls;
    for (const auto& r : rows) {
      colls.push_back(boost::json::object{{"id", node::HexId(r.info.id())},
                                          {"name", r.info.name()},
                                          {"joined", r.info.joined()},
                                          {"version", r.version},
                                          {"vv", VersionJson(r.cache.vv)},
                                          {"commits", r.cache.vv.Total()},
                                          {"datasets", r.cache.datasets.size()},
                                          {"pending", r.cache.pending}});
    }
    boost::json::array alarm_json;
    for (const auto& a : alarms) alarm_json.push_back(boost::json::string(a));
    PrintJson(*ctx.out, boost::json::object{
                            {"node_id", id.node_id_text()},
                            {"name", id.name()},
                            {"data_dir", n.data_dir()},
                            {"collections", std::move(colls)},
                            {"counters",
                             boost::json::object{{"commits_applied", counters.commits_applied},
                                                 {"commits_rejected", counters.commits_rejected},
                                                 {"commits_duplicate", counters.commits_duplicate},
                                                 {"commits_pending", counters.commits_pending},
                                                 {"equivocations", counters.equivocations}}},
                            {"alarms", std::move(alarm_json)}});
    return Status::Ok();
  }

  KeyValues kv;
  kv.Add("node", id.node_id_text());
  kv.Add("name", id.name());
  kv.Add("data dir", n.data_dir());
  // Counters are this process's: a CLI run only sees what opening the node
  // did (e.g. rolling a staged import forward); `serve` reports its own.
  kv.Add("commits", fmt::format("{} applied, {} rejected, {} duplicate, {} pending",
                                counters.commits_applied, counters.commits_rejected,
                                counters.commits_duplicate, counters.commits_pending));
  kv.Add("equivocations", std::to_string(counters.equivocations));
  kv.Add("alarms", alarms.empty() ? "none" : std::to_string(alarms.size()));
  kv.Print(*ctx.out);
  for (const auto& a : alarms) *ctx.out << "  alarm: " << a << '\n';
  *ctx.out << '\n';
  if (rows.empty()) {
    *ctx.out << "no collections (create one with `kongsi collection create NAME`)\n";
    return Status::Ok();
  }
  Table table({"COLLECTION", "ID", "COMMITS", "DATASETS", "PENDING", "VERSION"});
  for (const auto& r : rows) {
    table.AddRow({r.info.name() + (r.info.joined() ? "" : " (invited)"), node::HexId(r.info.id()),
                  std::to_string(r.cache.vv.Total()), std::to_string(r.cache.datasets.size()),
                  std::to_string(r.cache.pending), r.version});
  }
  table.Print(*ctx.out);
  return Status::Ok();
}

}  // namespace

void AddNodeCommands(CLI::App& app, CliContext& ctx) {
  auto name = std::make_shared<std::string>();
  CLI::App* init =
      app.add_subcommand("init", "Create a node: key pair and database in the data dir");
  init->add_option("--name", *name, "The organisation's display name")->required();
  OnRun(init, ctx, [&ctx, name] { return RunInit(ctx, *name); });

  CLI::App* id = app.add_subcommand("id", "Print this node's ID");
  OnRun(id, ctx, [&ctx] { return RunId(ctx); });

  CLI::App* status = app.add_subcommand("status", "Node, collections, counters and alarms");
  OnRun(status, ctx, [&ctx] { return RunStatus(ctx); });
}

}  // namespace kongsi::server
