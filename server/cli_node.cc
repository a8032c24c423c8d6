// `kongsi init`, `kongsi id`, `kongsi status`: the node itself.
#include <fmt/format.h>

#include <boost/json/object.hpp>
#include <memory>
#include <string>

#include "node/node.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"

namespace kongsi::server {
namespace {

// Not an API call: there is no node to call until this has run.
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

Status RunId(CliContext& ctx) {
  return CallAndPrint(ctx, {"GET", "/v1/node"}, [&](const boost::json::value& doc) {
    *ctx.out << Text(doc, "node_id") << '\n';
  });
}

void PrintStatus(const CliContext& ctx, const boost::json::value& doc) {
  const boost::json::value& counters = doc.at("counters");
  const boost::json::array& alarms = doc.at("alarms").as_array();
  KeyValues kv;
  kv.Add("node", Text(doc, "node_id"));
  kv.Add("name", Text(doc, "name"));
  kv.Add("data dir", Text(doc, "data_dir"));
  // Counters are those of the process that answered: the daemon's when one
  // serves the data dir, else only what opening the node did.
  kv.Add("commits",
         fmt::format("{} applied, {} rejected, {} duplicate, {} pending",
                     Text(counters, "commits_applied"), Text(counters, "commits_rejected"),
                     Text(counters, "commits_duplicate"), Text(counters, "commits_pending")));
  kv.Add("equivocations", Text(counters, "equivocations"));
  kv.Add("alarms", alarms.empty() ? "none" : std::to_string(alarms.size()));
  kv.Add("served by", doc.at("serving").as_bool() ? "the running node (kongsi serve)"
                                                  : "this command (no node running)");
  kv.Print(*ctx.out);
  for (const auto& a : alarms) *ctx.out << "  alarm: " << a.as_string().c_str() << '\n';
  *ctx.out << '\n';
  const boost::json::array& colls = doc.at("collections").as_array();
  if (colls.empty()) {
    *ctx.out << "no collections (create one with `kongsi collection create NAME`)\n";
    return;
  }
  Table table({"COLLECTION", "ID", "COMMITS", "DATASETS", "PENDING", "VERSION"});
  for (const auto& c : colls) {
    table.AddRow({Text(c, "name") + (c.at("joined").as_bool() ? "" : " (invited)"), Text(c, "id"),
                  Text(c, "commits"), Text(c, "datasets"), Text(c, "pending"), Text(c, "version")});
  }
  table.Print(*ctx.out);
}

Status RunStatus(CliContext& ctx) {
  return CallAndPrint(ctx, {"GET", "/v1/status"},
                      [&](const boost::json::value& doc) { PrintStatus(ctx, doc); });
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
