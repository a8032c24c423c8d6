// `kongsi acl grant|revoke|list|log` and `kongsi members`: who may read,
// write and administer a collection, and how that came to be (DESIGN §6;
// docs/ADMINS.md).
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

// "ZZBLP2DH:3" for the op an entry names under `by`/`seq`, "-" for none.
std::string OpLabel(const boost::json::value& m, std::string_view by, std::string_view seq) {
  std::string author = Text(m, by);
  return author.empty() ? "-" : CommitLabel(author, m.at(seq).to_number<uint64_t>());
}

std::string NodeLabel(const boost::json::value& m) {
  return Text(m, "node_id") + (m.at("self").as_bool() ? " (this node)" : "");
}

Status RunList(CliContext& ctx, const std::string& collection) {
  return CallAndPrint(
      ctx, {"GET", ApiPath({"v1", "collections", collection, "acl"})},
      [&](const boost::json::value& doc) {
        Table table({"NODE", "ROLE", "DECIDED BY", "TIME"});
        for (const auto& m : doc.as_array()) {
          bool revoked = !Text(m, "revoked_by").empty();
          std::string time = Text(m, "time");
          table.AddRow({NodeLabel(m), revoked ? "none (revoked)" : Text(m, "role"),
                        revoked ? "revoke " + OpLabel(m, "revoked_by", "revoked_seq")
                                : "grant " + OpLabel(m, "granted_by", "granted_seq"),
                        time.empty() ? "-" : time});
        }
        table.Print(*ctx.out);
      });
}

Status RunLog(CliContext& ctx, const std::string& collection) {
  return CallAndPrint(
      ctx, {"GET", ApiPath({"v1", "collections", collection, "acl", "log"})},
      [&](const boost::json::value& doc) {
        Table table({"COMMIT", "TIME", "OP", "NODE", "ROLE", "VALIDITY"});
        for (const auto& e : doc.as_array()) {
          std::string role = Text(e, "role");
          table.AddRow({OpLabel(e, "author", "seq"), Text(e, "time"), Text(e, "op"),
                        Text(e, "node_id"), role.empty() ? "-" : role,
                        e.at("valid").as_bool() ? "valid"
                                                : "invalid: " + Text(e, "invalid_reason")});
        }
        table.Print(*ctx.out);
      });
}

Status RunMembers(CliContext& ctx, const std::string& collection) {
  return CallAndPrint(
      ctx, {"GET", ApiPath({"v1", "collections", collection, "members"})},
      [&](const boost::json::value& doc) {
        Table table({"NODE", "ROLE", "COMMITS", "INVALID", "LAST COMMIT"});
        for (const auto& m : doc.as_array()) {
          std::string last = Text(m, "last_commit_time");
          table.AddRow({NodeLabel(m), Text(m, "role"), Text(m, "commits"),
                        Text(m, "invalid_commits"), last.empty() ? "-" : last});
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
  CLI::App* list = group->add_subcommand(
      "list", "Role of every node ever granted one, as this node sees it, and the op that decided it");
  list->add_option("collection", *list_coll, "Collection name or ID")->required();
  OnRun(list, ctx, [&ctx, list_coll] { return RunList(ctx, *list_coll); });

  auto log_coll = std::make_shared<std::string>();
  CLI::App* log = group->add_subcommand(
      "log", "Every grant and revoke in causal order, and whether it counts");
  log->add_option("collection", *log_coll, "Collection name or ID")->required();
  OnRun(log, ctx, [&ctx, log_coll] { return RunLog(ctx, *log_coll); });

  auto members_coll = std::make_shared<std::string>();
  CLI::App* members = app.add_subcommand(
      "members", "Current members of a collection: role, commits, invalid commits");
  members->add_option("collection", *members_coll, "Collection name or ID")->required();
  OnRun(members, ctx, [&ctx, members_coll] { return RunMembers(ctx, *members_coll); });
}

}  // namespace kongsi::server
