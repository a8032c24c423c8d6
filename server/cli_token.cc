// `kongsi token create|list|revoke`: bearer tokens of the local API.
#include <boost/json/object.hpp>
#include <memory>
#include <string>

#include "server/api_json.h"
#include "server/api_types.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"

namespace kongsi::server {
namespace {

struct CreateArgs {
  std::string role;
  std::string name;
};

Status RunCreate(CliContext& ctx, const CreateArgs& args) {
  ApiCall call{"POST", "/v1/tokens"};
  call.body = boost::json::object{{"role", args.role}, {"name", args.name}};
  // The token alone, so `TOKEN=$(kongsi token create ...)` works; it is
  // shown this once and never again.
  return CallAndPrint(
      ctx, call, [&](const boost::json::value& doc) { *ctx.out << Text(doc, "token") << '\n'; });
}

Status RunList(CliContext& ctx) {
  return CallAndPrint(ctx, {"GET", "/v1/tokens"}, [&](const boost::json::value& doc) {
    if (doc.as_array().empty()) {
      *ctx.out << "no tokens (create one with `kongsi token create --role viewer`)\n";
      return;
    }
    Table table({"ID", "NAME", "ROLE", "CREATED"});
    for (const auto& t : doc.as_array()) {
      std::string name = Text(t, "name");
      table.AddRow({Text(t, "id"), name.empty() ? "-" : name, Text(t, "role"),
                    MsTime(t.at("created_ms").to_number<uint64_t>())});
    }
    table.Print(*ctx.out);
  });
}

Status RunRevoke(CliContext& ctx, const std::string& id_or_name) {
  return CallAndPrint(ctx, {"DELETE", ApiPath({"v1", "tokens", id_or_name})},
                      [&](const boost::json::value& doc) {
                        *ctx.out << "revoked token " << Text(doc, "id") << '\n';
                      });
}

}  // namespace

void AddTokenCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("token", "Bearer tokens for the local HTTP API");
  group->require_subcommand(1);

  auto args = std::make_shared<CreateArgs>();
  CLI::App* create =
      group->add_subcommand("create", "Make a token and print it (shown only this once)");
  create
      ->add_option("--role", args->role,
                   "viewer (reads), publisher (+ publish, tags) or admin (everything)")
      ->required()
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            ApiRole role;
            return ParseApiRole(text, &role)
                       ? ""
                       : "unknown role \"" + text + "\" (viewer, publisher or admin)";
          },
          "ROLE"));
  create->add_option("--name", args->name, "What the token is for (unique)");
  OnRun(create, ctx, [&ctx, args] { return RunCreate(ctx, *args); });

  CLI::App* list = group->add_subcommand("list", "List tokens (never their secrets)");
  OnRun(list, ctx, [&ctx] { return RunList(ctx); });

  auto revoke_arg = std::make_shared<std::string>();
  CLI::App* revoke = group->add_subcommand("revoke", "Revoke a token by ID or name");
  revoke->add_option("token", *revoke_arg, "Token ID or name")->required();
  OnRun(revoke, ctx, [&ctx, revoke_arg] { return RunRevoke(ctx, *revoke_arg); });
}

}  // namespace kongsi::server
