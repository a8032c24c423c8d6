// `kongsi collection create|list|invites|join`.
#include <boost/json/object.hpp>
#include <memory>
#include <string>

#include "server/api_json.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"

namespace kongsi::server {
namespace {

struct CreateArgs {
  std::string name;
  std::string description;
};

Status RunCreate(CliContext& ctx, const CreateArgs& args) {
  ApiCall call{"POST", "/v1/collections"};
  call.body = boost::json::object{{"name", args.name}, {"description", args.description}};
  return CallAndPrint(ctx, call,
                      [&](const boost::json::value& doc) { *ctx.out << Text(doc, "id") << '\n'; });
}

Status RunList(CliContext& ctx) {
  return CallAndPrint(ctx, {"GET", "/v1/collections"}, [&](const boost::json::value& doc) {
    Table table({"ID", "NAME", "DATASETS", "VERSION", "JOINED"});
    for (const auto& c : doc.as_array()) {
      std::string datasets = JoinedText(c, "datasets", ",");
      table.AddRow({Text(c, "id"), Text(c, "name"), datasets.empty() ? "-" : datasets,
                    Text(c, "version_total"), c.at("joined").as_bool() ? "yes" : "no"});
    }
    if (table.empty()) {
      *ctx.out << "no collections (create one with `kongsi collection create NAME`)\n";
    } else {
      table.Print(*ctx.out);
    }
  });
}

Status RunInvites(CliContext& ctx) {
  return CallAndPrint(ctx, {"GET", "/v1/invites"}, [&](const boost::json::value& doc) {
    if (doc.as_array().empty()) {
      *ctx.out << "no invitations\n";
      return;
    }
    Table table({"ID", "NAME", "FROM", "JOINED"});
    for (const auto& i : doc.as_array()) {
      table.AddRow({Text(i, "id"), Text(i, "name"), Text(i, "from"),
                    i.at("joined").as_bool() ? "yes (waiting for its commits)" : "no"});
    }
    table.Print(*ctx.out);
  });
}

Status RunJoin(CliContext& ctx, const std::string& collection) {
  return CallAndPrint(
      ctx, {"POST", ApiPath({"v1", "invites", collection, "join"})},
      [&](const boost::json::value& doc) { *ctx.out << "joined " << Text(doc, "id") << '\n'; });
}

}  // namespace

void AddCollectionCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("collection", "Create, list and join collections");
  group->require_subcommand(1);

  auto args = std::make_shared<CreateArgs>();
  CLI::App* create =
      group->add_subcommand("create", "Create a collection (this node is its admin)");
  create->add_option("name", args->name, "Collection name")->required();
  create->add_option("--description", args->description, "What the collection is for");
  OnRun(create, ctx, [&ctx, args] { return RunCreate(ctx, *args); });

  CLI::App* list = group->add_subcommand("list", "List the collections on this node");
  OnRun(list, ctx, [&ctx] { return RunList(ctx); });

  CLI::App* invites =
      group->add_subcommand("invites", "Collections peers offered that this node does not hold");
  OnRun(invites, ctx, [&ctx] { return RunInvites(ctx); });

  auto join_coll = std::make_shared<std::string>();
  CLI::App* join =
      group->add_subcommand("join", "Accept an invitation: fetch the collection from peers");
  join->add_option("collection", *join_coll, "Invitation name or collection ID (or unique prefix)")
      ->required();
  OnRun(join, ctx, [&ctx, join_coll] { return RunJoin(ctx, *join_coll); });
}

}  // namespace kongsi::server
