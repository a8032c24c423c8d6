// `kongsi tag create|list`: names for versions, made by Tag ops and
// replicated like data (DESIGN §1, §5).
#include <boost/json/object.hpp>
#include <memory>
#include <string>

#include "server/api_json.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"

namespace kongsi::server {
namespace {

struct TagArgs {
  std::string name;
  std::string collection;
  std::string message;
};

Status RunTagCreate(CliContext& ctx, const TagArgs& args) {
  ApiCall call{"POST", ApiPath({"v1", "collections", args.collection, "tags"})};
  call.body = boost::json::object{{"name", args.name}, {"message", args.message}};
  return CallAndPrint(ctx, call, [&](const boost::json::value& doc) {
    *ctx.out << "tag " << Text(doc, "name") << " -> " << Text(doc, "version") << '\n';
  });
}

Status RunTagList(CliContext& ctx, const std::string& collection) {
  return CallAndPrint(
      ctx, {"GET", ApiPath({"v1", "collections", collection, "tags"})},
      [&](const boost::json::value& doc) {
        if (doc.as_array().empty()) {
          *ctx.out << "no tags\n";
          return;
        }
        Table table({"TAG", "VERSION", "BY", "TIME", "NOTE"});
        for (const auto& t : doc.as_array()) {
          table.AddRow({Text(t, "name"), Text(t, "version"),
                        CommitLabel(Text(t, "author"), t.at("seq").to_number<uint64_t>()),
                        Text(t, "time"), Text(t, "note")});
        }
        table.Print(*ctx.out);
      });
}

}  // namespace

void AddTagCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("tag", "Name versions of a collection");
  group->require_subcommand(1);

  auto args = std::make_shared<TagArgs>();
  CLI::App* create = group->add_subcommand("create", "Tag the collection's current version");
  create->add_option("name", args->name, "Tag name")->required();
  create->add_option("--collection", args->collection, "Collection name or ID")->required();
  create->add_option("--message", args->message, "Why this version matters");
  OnRun(create, ctx, [&ctx, args] { return RunTagCreate(ctx, *args); });

  auto list_coll = std::make_shared<std::string>();
  CLI::App* list = group->add_subcommand("list", "List a collection's tags");
  list->add_option("--collection", *list_coll, "Collection name or ID")->required();
  OnRun(list, ctx, [&ctx, list_coll] { return RunTagList(ctx, *list_coll); });
}

}  // namespace kongsi::server
