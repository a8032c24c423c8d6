// The `kongsi` command line: global options, the command groups, and the
// mapping of outcomes to exit codes (0 ok, 1 failure, 2 usage error).
#include "server/cli.h"

#include <cstdlib>
#include <iostream>
#include <string>

#include "node/identity.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"

namespace kongsi::server {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Messages from lower layers may span lines (a CSV excerpt, say); the CLI
// promises one line per error.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

std::string EnvOr(const char* name, std::string fallback) {
  const char* env = std::getenv(name);
  return env != nullptr && *env != '\0' ? env : fallback;
}

}  // namespace

Result<ApiClient*> CliContext::Api() {
  if (!api_) {
    auto client = ConnectApi(data_dir, node_url, token, node_id);
    if (!client.ok()) return client.status();
    api_ = std::move(client).value();
  }
  return api_.get();
}

void OnRun(CLI::App* sub, CliContext& ctx, std::function<Status()> action) {
  sub->callback([&ctx, action = std::move(action)] { ctx.action = action; });
}

Status CallAndPrint(CliContext& ctx, const ApiCall& call,
                    const std::function<void(const boost::json::value& doc)>& render) {
  auto api = ctx.Api();
  if (!api.ok()) return api.status();
  auto doc = (*api)->Call(call);
  if (!doc.ok()) return doc.status();
  if (ctx.json) {
    PrintJson(*ctx.out, *doc);
    return Status::Ok();
  }
  try {
    render(*doc);
  } catch (const std::exception& e) {
    return Status::Internal("unexpected answer from the node to " + call.path + ": " + e.what());
  }
  return Status::Ok();
}

CLI::Validator NodeIdValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto id = node::ParseNodeId(text);
        return id.ok() ? "" : id.status().message();
      },
      "NODEID");
}

int RunCli(int argc, char** argv) {
  // Exports can be large; C stdio is never used alongside.
  std::ios::sync_with_stdio(false);

  CliContext ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.data_dir = EnvOr("KONGSI_DATA", "kongsi-data");
  ctx.node_url = EnvOr("KONGSI_NODE", "");
  ctx.token = EnvOr("KONGSI_TOKEN", "");

  CLI::App app{"Kongsi: versioned, signed, mergeable datasets shared between organisations.",
               "kongsi"};
  // Global options may follow the subcommand (`kongsi log --json ...`):
  // subcommands inherit fallthrough, so set it before adding them.
  app.fallthrough();
  app.require_subcommand(1);
  app.add_option("--data", ctx.data_dir,
                 "Data directory (default: $KONGSI_DATA, else ./kongsi-data)");
  app.add_flag("--json", ctx.json, "Print one JSON document instead of text");
  app.add_option(
      "--node", ctx.node_url,
      "A node's API, http(s)://HOST:PORT (default: $KONGSI_NODE, else the node serving --data, "
      "else --data itself)");
  app.add_option("--token", ctx.token, "API token for --node (default: $KONGSI_TOKEN)");
  app.add_option("--node-id", ctx.node_id, "The --node's ID, to check its https certificate")
      ->check(NodeIdValidator());

  AddNodeCommands(app, ctx);
  AddCollectionCommands(app, ctx);
  AddDataCommands(app, ctx);
  AddHistoryCommands(app, ctx);
  AddTagCommands(app, ctx);
  AddAclCommands(app, ctx);
  AddTokenCommands(app, ctx);
  AddPeerCommands(app, ctx);
  AddServeCommands(app, ctx);
  AddBackupCommands(app, ctx);
  AddDemoCommands(app, ctx);

  if (argc <= 1) {
    std::cerr << app.help();
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --help-all exit 0 and print to stdout; everything else is a
    // usage error.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::cerr << "kongsi: " << OneLine(e.what()) << " (see --help)\n";
    return kExitUsage;
  }
  if (!ctx.action) {
    std::cerr << "kongsi: a command is required (see --help)\n";
    return kExitUsage;
  }
  Status status = ctx.action();
  std::cout.flush();
  if (!status.ok()) {
    std::cerr << "kongsi: "
              << OneLine(status.message().empty() ? status.ToString() : status.message()) << "\n";
    return kExitFailure;
  }
  if (!std::cout) {
    std::cerr << "kongsi: writing to stdout failed\n";
    return kExitFailure;
  }
  return 0;
}

}  // namespace kongsi::server
