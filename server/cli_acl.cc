// `kongsi acl grant|revoke|list`: who may read, write and administer a
// collection (DESIGN §6).
//
// Node IDs and roles are checked by CLI11 validators while parsing, so a
// typo is a usage error (exit 2) before the node is even opened.
#include <boost/json/object.hpp>
#include <memory>
#include <string>

#include "node/acl.h"
#include "server/api_json.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"

namespace kongsi::server {
namespace {

struct AclArgs {
  std::string collection;
  std::string node_id;
  std::string role;
};

CLI::Validator RoleValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        v1::Role role;
        return node::ParseRole(text, &role)
                   ? ""
                   : "unknown role \"" + text + "\" (reader, writer or admin)";
      },
      "ROLE");
}

Status RunGrant(CliContext& ctx, const AclArgs& args) {
  ApiCall call{"POST", ApiPath({"v1", "collections", args.collection, "acl"})};
  call.body = boost::json::object{{"node_id", args.node_id}, {"role", args.role}};
  return CallAndPrint(
      ctx, call, [&](const boost::json::value& doc) { *ctx.out << Text(doc, "done") << '\n'; });
}

Status RunRevoke(CliContext& ctx, const AclArgs& args) {
  return CallAndPrint(
      ctx, {"DELETE", ApiPath({"v1", "collections", args.collection, "acl", args.node_id})},
      [&](const boost::json::value& doc) { *ctx.out << Text(doc, "done") << '\n'; });
}

Status RunList(CliContext& ctx, const std::string& collection) {
  return CallAndPrint(
      ctx, {"GET", ApiPath({"v1", "collections", collection, "acl"})},
      [&](const boost::json::value& doc) {
        Table table({"NODE", "ROLE", "GRANTED BY", "TIME"});
        for (const auto& m : doc.as_array()) {
          std::string by = Text(m, "granted_by");
          std::string time = Text(m, "time");
          table.AddRow(
              {Text(m, "node_id") + (m.at("self").as_bool() ? " (this node)" : ""), Text(m, "role"),
               by.empty() ? "-" : CommitLabel(by, m.at("granted_seq").to_number<uint64_t>()),
               time.empty() ? "-" : time});
        }
        table.Print(*ctx.out);
      });
}

}  // namespace

void AddAclCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("acl", "Grant, revoke and list roles in a collection");
  group->require_subcommand(1);

  auto grant_args = std::make_shared<AclArgs>();
  CLI::App* grant = group->add_subcommand("grant", "Give a node a role (admins only)");
  grant->add_option("collection", grant_args->collection, "Collection name or ID")->required();
  grant->add_option("node_id", grant_args->node_id, "The node's ID (52 base32 characters)")
      ->required()
      ->check(NodeIdValidator());
  grant->add_option("role", grant_args->role, "reader, writer or admin")
      ->required()
      ->check(RoleValidator());
  OnRun(grant, ctx, [&ctx, grant_args] { return RunGrant(ctx, *grant_args); });

  auto revoke_args = std::make_shared<AclArgs>();
  CLI::App* revoke = group->add_subcommand("revoke", "Take a node's role away (admins only)");
  revoke->add_option("collection", revoke_args->collection, "Collection name or ID")->required();
  revoke->add_option("node_id", revoke_args->node_id, "The node's ID (52 base32 characters)")
      ->required()
      ->check(NodeIdValidator());
  OnRun(revoke, ctx, [&ctx, revoke_args] { return RunRevoke(ctx, *revoke_args); });

  auto list_coll = std::make_shared<std::string>();
  CLI::App* list = group->add_subcommand("list", "Effective role of every member");
  list->add_option("collection", *list_coll, "Collection name or ID")->required();
  OnRun(list, ctx, [&ctx, list_coll] { return RunList(ctx, *list_coll); });
}

}  // namespace kongsi::server
