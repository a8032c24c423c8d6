// `kongsi acl grant|revoke|list`: who may read, write and administer a
// collection (DESIGN §6).
//
// Node IDs and roles are checked by CLI11 validators while parsing, so a
// typo is a usage error (exit 2) before the node is even opened.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <vector>

#include "node/acl.h"
#include "node/identity.h"
#include "node/reader.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"

namespace kongsi::server {
namespace {

struct AclArgs {
  std::string collection;
  std::string node_id;
  std::string role;
};

CLI::Validator NodeIdValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto id = node::ParseNodeId(text);
        return id.ok() ? "" : id.status().message();
      },
      "NODEID");
}

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

Status CommitAclOp(const CliContext& ctx, const std::string& collection, v1::Op op,
                   const std::string& done) {
  auto opened = OpenCollection(ctx, collection);
  if (!opened.ok()) return opened.status();
  std::vector<v1::Op> ops{std::move(op)};
  auto applied = opened->node->CommitOps(opened->id, std::move(ops), done);
  if (!applied.ok()) return applied.status();
  if (ctx.json) {
    PrintJson(*ctx.out,
              boost::json::object{
                  {"collection", node::HexId(opened->id)}, {"done", done}, {"seq", applied->seq}});
  } else {
    *ctx.out << done << '\n';
  }
  return Status::Ok();
}

Status RunGrant(const CliContext& ctx, const AclArgs& args) {
  auto org = node::ParseNodeId(args.node_id);  // validated while parsing
  if (!org.ok()) return org.status();
  v1::Role role;
  if (!node::ParseRole(args.role, &role))
    return Status::InvalidArgument("unknown role " + args.role);
  v1::Op op;
  op.mutable_grant()->set_org(*org);
  op.mutable_grant()->set_role(role);
  return CommitAclOp(ctx, args.collection, std::move(op),
                     "granted " + args.role + " to " + node::NodeIdText(*org));
}

Status RunRevoke(const CliContext& ctx, const AclArgs& args) {
  auto org = node::ParseNodeId(args.node_id);
  if (!org.ok()) return org.status();
  v1::Op op;
  op.mutable_revoke()->set_org(*org);
  return CommitAclOp(ctx, args.collection, std::move(op), "revoked " + node::NodeIdText(*org));
}

Status RunList(const CliContext& ctx, const std::string& collection) {
  auto opened = OpenCollection(ctx, collection);
  if (!opened.ok()) return opened.status();
  node::Reader reader(*opened->node, opened->id);
  std::vector<node::Member> members = reader.cache().acl.Members();
  const std::string& self = opened->node->identity().node_id();
  auto by_label = [&](const node::Member& m) {
    return m.granted_by.empty() ? std::string() : reader.AuthorLabel(m.granted_by);
  };
  if (ctx.json) {
    boost::json::array out;
    for (const auto& m : members) {
      out.push_back(boost::json::object{{"node_id", node::NodeIdText(m.org)},
                                        {"role", node::RoleName(m.role)},
                                        {"granted_by", by_label(m)},
                                        {"granted_seq", m.granted_seq},
                                        {"time", m.granted_hlc ? HlcTime(m.granted_hlc) : ""},
                                        {"self", m.org == self}});
    }
    PrintJson(*ctx.out, out);
    return Status::Ok();
  }
  Table table({"NODE", "ROLE", "GRANTED BY", "TIME"});
  for (const auto& m : members) {
    std::string by = by_label(m);
    table.AddRow({node::NodeIdText(m.org) + (m.org == self ? " (this node)" : ""),
                  node::RoleName(m.role),
                  by.empty() ? "-" : ShortId(by) + ":" + std::to_string(m.granted_seq),
                  m.granted_hlc ? HlcTime(m.granted_hlc) : "-"});
  }
  table.Print(*ctx.out);
  return Status::Ok();
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
