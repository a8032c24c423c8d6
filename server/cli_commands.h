// The pieces the `kongsi` command groups share: the global options, how a
// command hands its work to RunCli, and calling the node's API.
//
// Each Add*Commands registers its subcommands on the app. Parsing only
// records what to do (CliContext::action); RunCli runs it afterwards, so a
// usage error found by CLI11 — including the validators the groups attach,
// such as malformed node IDs or unknown roles — stops before anything is
// opened or written.
//
// A command builds an ApiCall and renders the answer: the same JSON under
// --json, text otherwise. Where the call goes is CliContext::Api's choice
// (server/cli_client.h).
#pragma once

#include <CLI/CLI.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "server/cli_client.h"
#include "storage/status.h"

namespace kongsi::server {

struct CliContext {
  std::string data_dir;  // --data, else $KONGSI_DATA, else ./kongsi-data
  bool json = false;     // --json: print one JSON document instead of text
  std::string node_url;  // --node, else $KONGSI_NODE: a node elsewhere
  std::string token;     // --token, else $KONGSI_TOKEN: its API token
  std::string node_id;   // --node-id: pins an https node's certificate
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // Set by the chosen subcommand while parsing; run once parsing succeeded.
  std::function<Status()> action;

  // The node's API, connected on first use.
  Result<ApiClient*> Api();

 private:
  std::unique_ptr<ApiClient> api_;
};

// Makes `action` the thing to run when `sub` is the subcommand given.
void OnRun(CLI::App* sub, CliContext& ctx, std::function<Status()> action);

// Makes `call`; prints the answer as JSON under --json, else passes it to
// `render` (which may read it with Boost.JSON's checked accessors: an answer
// of an unexpected shape becomes an error, not a crash).
Status CallAndPrint(CliContext& ctx, const ApiCall& call,
                    const std::function<void(const boost::json::value& doc)>& render);

// CLI11 validators for arguments the API would refuse anyway: a typo is a
// usage error (exit 2) before anything is opened.
CLI::Validator NodeIdValidator();

void AddNodeCommands(CLI::App& app, CliContext& ctx);        // init, id, status
void AddServeCommands(CLI::App& app, CliContext& ctx);       // serve (server/cli_serve.cc)
void AddCollectionCommands(CLI::App& app, CliContext& ctx);  // collection create|list|invites|join
void AddDataCommands(CLI::App& app, CliContext& ctx);        // publish, export, pull
void AddPullCommand(CLI::App& app, CliContext& ctx);  // pull (server/cli_pull.cc)
void AddHistoryCommands(CLI::App& app, CliContext& ctx);  // log, diff, history, digest, conflicts
void AddTagCommands(CLI::App& app, CliContext& ctx);      // tag create|list
void AddAclCommands(CLI::App& app, CliContext& ctx);      // acl grant|revoke|list|log, members
void AddTokenCommands(CLI::App& app, CliContext& ctx);    // token create|list|revoke
void AddPeerCommands(CLI::App& app, CliContext& ctx);     // peer add|list|remove
void AddBackupCommands(CLI::App& app, CliContext& ctx);   // backup, restore (server/cli_backup.cc)
void AddDemoCommands(CLI::App& app, CliContext& ctx);     // demo (server/cli_demo.cc)

}  // namespace kongsi::server
