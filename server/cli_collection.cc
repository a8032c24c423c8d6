// `kongsi collection create|list`.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <memory>
#include <string>

#include "server/cli_commands.h"
#include "server/cli_output.h"

namespace kongsi::server {
namespace {

struct CreateArgs {
  std::string name;
  std::string description;
};

Status RunCreate(const CliContext& ctx, const CreateArgs& args) {
  auto node = ctx.OpenNode();
  if (!node.ok()) return node.status();
  auto id = (*node)->CreateCollection(args.name, args.description);
  if (!id.ok()) return id.status();
  if (ctx.json) {
    PrintJson(*ctx.out, boost::json::object{{"id", node::HexId(*id)}, {"name", args.name}});
  } else {
    *ctx.out << node::HexId(*id) << '\n';
  }
  return Status::Ok();
}

Status RunList(const CliContext& ctx) {
  auto opened = ctx.OpenNode();
  if (!opened.ok()) return opened.status();
  const node::Node& n = **opened;
  boost::json::array json;
  Table table({"ID", "NAME", "DATASETS", "VERSION", "JOINED"});
  for (const auto& info : n.ListCollections()) {
    auto cache = n.Collection(info.id());
    if (!cache.ok()) return cache.status();
    std::string datasets;
    boost::json::array dataset_names;
    for (const auto& [name, _] : cache->datasets) {
      if (!datasets.empty()) datasets += ",";
      datasets += name;
      dataset_names.push_back(boost::json::string(name));
    }
    if (ctx.json) {
      json.push_back(boost::json::object{{"id", node::HexId(info.id())},
                                         {"name", info.name()},
                                         {"description", info.description()},
                                         {"datasets", std::move(dataset_names)},
                                         {"version_total", cache->vv.Total()},
                                         {"vv", VersionJson(cache->vv)},
                                         {"joined", info.joined()}});
    } else {
      table.AddRow({node::HexId(info.id()), info.name(), datasets.empty() ? "-" : datasets,
                    std::to_string(cache->vv.Total()), info.joined() ? "yes" : "no"});
    }
  }
  if (ctx.json) {
    PrintJson(*ctx.out, json);
  } else if (table.empty()) {
    *ctx.out << "no collections (create one with `kongsi collection create NAME`)\n";
  } else {
    table.Print(*ctx.out);
  }
  return Status::Ok();
}

}  // namespace

void AddCollectionCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("collection", "Create and list collections");
  group->require_subcommand(1);

  auto args = std::make_shared<CreateArgs>();
  CLI::App* create =
      group->add_subcommand("create", "Create a collection (this node is its admin)");
  create->add_option("name", args->name, "Collection name")->required();
  create->add_option("--description", args->description, "What the collection is for");
  OnRun(create, ctx, [&ctx, args] { return RunCreate(ctx, *args); });

  CLI::App* list = group->add_subcommand("list", "List the collections on this node");
  OnRun(list, ctx, [&ctx] { return RunList(ctx); });
}

}  // namespace kongsi::server
