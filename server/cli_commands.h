// The pieces the `kongsi` command groups share: the global options, how a
// command hands its work to RunCli, and opening the node and a collection.
//
// Each Add*Commands registers its subcommands on the app. Parsing only
// records what to do (CliContext::action); RunCli runs it afterwards, so a
// usage error found by CLI11 — including the validators the groups attach,
// such as malformed node IDs or unknown roles — stops before anything is
// opened or written.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "node/node.h"
#include "node/version_vector.h"
#include "storage/status.h"

namespace kongsi::server {

struct CliContext {
  std::string data_dir;  // --data, else $KONGSI_DATA, else ./kongsi-data
  bool json = false;     // --json: print one JSON document instead of text
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // Set by the chosen subcommand while parsing; run once parsing succeeded.
  std::function<Status()> action;

  Result<std::unique_ptr<node::Node>> OpenNode() const;
};

// A node opened with one of its collections resolved from what the user
// typed (a name, an ID or a unique ID prefix).
struct OpenedCollection {
  std::unique_ptr<node::Node> node;
  std::string id;  // raw 16 bytes
};
Result<OpenedCollection> OpenCollection(const CliContext& ctx, const std::string& name_or_id);

// Makes `action` the thing to run when `sub` is the subcommand given.
void OnRun(CLI::App* sub, CliContext& ctx, std::function<Status()> action);

// A version vector as {"NODEID": seq, ...} for JSON output.
boost::json::object VersionJson(const node::VersionVector& vv);

void AddNodeCommands(CLI::App& app, CliContext& ctx);        // init, id, status
void AddCollectionCommands(CLI::App& app, CliContext& ctx);  // collection create|list
void AddDataCommands(CLI::App& app, CliContext& ctx);        // publish, export
void AddHistoryCommands(CLI::App& app, CliContext& ctx);  // log, diff, history, digest, conflicts
void AddTagCommands(CLI::App& app, CliContext& ctx);      // tag create|list
void AddAclCommands(CLI::App& app, CliContext& ctx);      // acl grant|revoke|list

}  // namespace kongsi::server
