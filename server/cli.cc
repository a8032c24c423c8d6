// The `kongsi` command line: global options, the command groups, and the
// mapping of outcomes to exit codes (0 ok, 1 failure, 2 usage error).
#include "server/cli.h"

#include <cstdlib>
#include <iostream>
#include <string>

#include "node/identity.h"
#include "server/cli_commands.h"

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

std::string DefaultDataDir() {
  const char* env = std::getenv("KONGSI_DATA");
  return env != nullptr && *env != '\0' ? env : "kongsi-data";
}

}  // namespace

Result<std::unique_ptr<node::Node>> CliContext::OpenNode() const {
  return node::Node::Open(data_dir);
}

Result<OpenedCollection> OpenCollection(const CliContext& ctx, const std::string& name_or_id) {
  auto node = ctx.OpenNode();
  if (!node.ok()) return node.status();
  auto id = (*node)->ResolveCollection(name_or_id);
  if (!id.ok()) return id.status();
  return OpenedCollection{std::move(node).value(), std::move(id).value()};
}

void OnRun(CLI::App* sub, CliContext& ctx, std::function<Status()> action) {
  sub->callback([&ctx, action = std::move(action)] { ctx.action = action; });
}

boost::json::object VersionJson(const node::VersionVector& vv) {
  boost::json::object out;
  for (const auto& [author, seq] : vv.entries()) {
    out[node::NodeIdText(node::NodeIdFromPublicKey(author))] = seq;
  }
  return out;
}

int RunCli(int argc, char** argv) {
  // Exports can be large; C stdio is never used alongside.
  std::ios::sync_with_stdio(false);

  CliContext ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.data_dir = DefaultDataDir();

  CLI::App app{"Kongsi: versioned, signed, mergeable datasets shared between organisations.",
               "kongsi"};
  // Global options may follow the subcommand (`kongsi log --json ...`):
  // subcommands inherit fallthrough, so set it before adding them.
  app.fallthrough();
  app.require_subcommand(1);
  app.add_option("--data", ctx.data_dir,
                 "Data directory (default: $KONGSI_DATA, else ./kongsi-data)");
  app.add_flag("--json", ctx.json, "Print one JSON document instead of text");

  AddNodeCommands(app, ctx);
  AddCollectionCommands(app, ctx);
  AddDataCommands(app, ctx);
  AddHistoryCommands(app, ctx);
  AddTagCommands(app, ctx);
  AddAclCommands(app, ctx);

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
