// `kongsi tag create|list`: names for versions, made by Tag ops and
// replicated like data (DESIGN §1, §5).
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

struct TagArgs {
  std::string name;
  std::string collection;
  std::string message;
};

Status RunTagCreate(const CliContext& ctx, const TagArgs& args) {
  auto opened = OpenCollection(ctx, args.collection);
  if (!opened.ok()) return opened.status();
  node::VersionVector current;
  {
    node::Reader reader(*opened->node, opened->id);
    for (const auto& t : reader.Tags()) {
      // Tags merge last-writer-wins across nodes; locally, moving a tag by
      // accident would silently change what `--as-of NAME` means.
      if (t.name() == args.name) {
        return Status::AlreadyExists("tag \"" + args.name + "\" already names version " +
                                     reader.FormatVersion(node::VersionVector::FromProto(t.vv())));
      }
    }
    current = reader.cache().vv;
  }
  v1::Op op;
  op.mutable_tag()->set_name(args.name);
  *op.mutable_tag()->mutable_vv() = current.ToProto();
  std::vector<v1::Op> ops{op};
  auto applied = opened->node->CommitOps(opened->id, std::move(ops), args.message);
  if (!applied.ok()) return applied.status();

  node::Reader reader(*opened->node, opened->id);
  std::string version = reader.FormatVersion(current);
  if (ctx.json) {
    PrintJson(*ctx.out, boost::json::object{{"name", args.name},
                                            {"version", version},
                                            {"vv", VersionJson(current)},
                                            {"note", args.message}});
  } else {
    *ctx.out << "tag " << args.name << " -> " << version << '\n';
  }
  return Status::Ok();
}

Status RunTagList(const CliContext& ctx, const std::string& collection) {
  auto opened = OpenCollection(ctx, collection);
  if (!opened.ok()) return opened.status();
  node::Reader reader(*opened->node, opened->id);
  std::vector<v1::TagInfo> tags = reader.Tags();
  if (ctx.json) {
    boost::json::array out;
    for (const auto& t : tags) {
      node::VersionVector vv = node::VersionVector::FromProto(t.vv());
      out.push_back(boost::json::object{{"name", t.name()},
                                        {"version", reader.FormatVersion(vv)},
                                        {"vv", VersionJson(vv)},
                                        {"author", reader.AuthorLabel(t.by().author())},
                                        {"seq", t.by().seq()},
                                        {"time", HlcTime(t.by().hlc())},
                                        {"note", t.note()}});
    }
    PrintJson(*ctx.out, out);
    return Status::Ok();
  }
  if (tags.empty()) {
    *ctx.out << "no tags\n";
    return Status::Ok();
  }
  Table table({"TAG", "VERSION", "BY", "TIME", "NOTE"});
  for (const auto& t : tags) {
    table.AddRow({t.name(), reader.FormatVersion(node::VersionVector::FromProto(t.vv())),
                  ShortId(reader.AuthorLabel(t.by().author())) + ":" + std::to_string(t.by().seq()),
                  HlcTime(t.by().hlc()), t.note()});
  }
  table.Print(*ctx.out);
  return Status::Ok();
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
