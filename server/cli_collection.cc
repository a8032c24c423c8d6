// `kongsi collection create|list|invites|join`.
#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "server/api_json.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"
#include "server/cli_progress.h"

namespace kongsi::server {
namespace {

struct CreateArgs {
  std::string name;
  std::string description;
};

Status RunCreate(CliContext& ctx, const CreateArgs& args) {
  ApiCall call{"POST", "/v1/collections"};
  call.body = boost::json::object{{"name", args.name}, {"description", args.description}};
  return CallAndPrint(ctx, call,
                      [&](const boost::json::value& doc) { *ctx.out << Text(doc, "id") << '\n'; });
}

Status RunList(CliContext& ctx) {
  return CallAndPrint(ctx, {"GET", "/v1/collections"}, [&](const boost::json::value& doc) {
    Table table({"ID", "NAME", "DATASETS", "VERSION", "JOINED"});
    for (const auto& c : doc.as_array()) {
      std::string datasets = JoinedText(c, "datasets", ",");
      table.AddRow({Text(c, "id"), Text(c, "name"), datasets.empty() ? "-" : datasets,
                    Text(c, "version_total"), c.at("joined").as_bool() ? "yes" : "no"});
    }
    if (table.empty()) {
      *ctx.out << "no collections (create one with `kongsi collection create NAME`)\n";
    } else {
      table.Print(*ctx.out);
    }
  });
}

Status RunInvites(CliContext& ctx) {
  return CallAndPrint(ctx, {"GET", "/v1/invites"}, [&](const boost::json::value& doc) {
    if (doc.as_array().empty()) {
      *ctx.out << "no invitations\n";
      return;
    }
    Table table({"ID", "NAME", "FROM", "JOINED"});
    for (const auto& i : doc.as_array()) {
      table.AddRow({Text(i, "id"), Text(i, "name"), Text(i, "from"),
                    i.at("joined").as_bool() ? "yes (waiting for its commits)" : "no"});
    }
    table.Print(*ctx.out);
  });
}

struct JoinArgs {
  std::string collection;
  bool wait = false;
  int timeout_s = 3600;
};

// Commits of `id` that connected peers hold and this node lacks, and
// whether any connected peer has told us its version of `id` yet.
Result<std::pair<uint64_t, bool>> CommitsToCome(ApiClient& api, const std::string& id) {
  auto peers = api.Call({"GET", "/v1/peers"});
  if (!peers.ok()) return peers.status();
  uint64_t to_come = 0;
  bool heard = false;
  for (const auto& p : peers->as_array()) {
    if (!p.at("connected").as_bool()) continue;
    for (const auto& a : p.at("ahead").as_array()) {
      if (Text(a, "collection") != id) continue;
      heard = true;
      to_come += a.at("commits").to_number<uint64_t>();
    }
  }
  return std::make_pair(to_come, heard);
}

Result<uint64_t> VersionTotal(ApiClient& api, const std::string& id) {
  auto colls = api.Call({"GET", "/v1/collections"});
  if (!colls.ok()) return colls.status();
  for (const auto& c : colls->as_array()) {
    if (Text(c, "id") == id) return c.at("version_total").to_number<uint64_t>();
  }
  return uint64_t{0};  // joined, genesis not received yet
}

// The initial sync of a joined collection, until no connected peer holds a
// commit of it that this node lacks, with progress on stderr. Needs a
// running node: its peers are where the commits come from.
Status WaitForInitialSync(CliContext& ctx, const std::string& id, int timeout_s) {
  auto api = ctx.Api();
  if (!api.ok()) return api.status();
  auto progress = Progress::ForStderr(ctx.json);
  progress->Phase("receiving " + id.substr(0, 8), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  Result<uint64_t> start = VersionTotal(**api, id);
  if (!start.ok()) return start.status();
  for (;;) {
    auto to_come = CommitsToCome(**api, id);
    if (!to_come.ok()) return to_come.status();
    auto total = VersionTotal(**api, id);
    if (!total.ok()) return total.status();
    const uint64_t received = *total - std::min(*start, *total);
    progress->UpdateCount(received, received + to_come->first, "commits");
    if (to_come->second && to_come->first == 0 && *total > 0) {
      progress->Clear();
      *ctx.err << "received " << received << " commits; " << *total << " in all\n";
      return Status::Ok();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      progress->Clear();
      return Status::ResourceExhausted(
          "gave up after " + std::to_string(timeout_s) + " s: " +
          (to_come->second ? std::to_string(to_come->first) + " commits still to come"
                           : std::string("no connected peer has offered the collection (is `kongsi serve` "
                                         "running and a member peer connected? see `kongsi peer list`)")));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

Status RunJoin(CliContext& ctx, const JoinArgs& args) {
  auto api = ctx.Api();
  if (!api.ok()) return api.status();
  auto doc = (*api)->Call({"POST", ApiPath({"v1", "invites", args.collection, "join"})});
  if (!doc.ok()) return doc.status();
  const std::string id = Text(*doc, "id");
  if (ctx.json) {
    PrintJson(*ctx.out, *doc);
  } else {
    *ctx.out << "joined " << id << '\n';
  }
  if (!args.wait) return Status::Ok();
  try {
    return WaitForInitialSync(ctx, id, args.timeout_s);
  } catch (const std::exception& e) {  // Boost.JSON's checked accessors
    return Status::Internal(std::string("unexpected answer from the node while waiting: ") + e.what());
  }
}

}  // namespace

void AddCollectionCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("collection", "Create, list and join collections");
  group->require_subcommand(1);

  auto args = std::make_shared<CreateArgs>();
  CLI::App* create =
      group->add_subcommand("create", "Create a collection (this node is its admin)");
  create->add_option("name", args->name, "Collection name")->required();
  create->add_option("--description", args->description, "What the collection is for");
  OnRun(create, ctx, [&ctx, args] { return RunCreate(ctx, *args); });

  CLI::App* list = group->add_subcommand("list", "List the collections on this node");
  OnRun(list, ctx, [&ctx] { return RunList(ctx); });

  CLI::App* invites =
      group->add_subcommand("invites", "Collections peers offered that this node does not hold");
  OnRun(invites, ctx, [&ctx] { return RunInvites(ctx); });

  auto join_args = std::make_shared<JoinArgs>();
  CLI::App* join =
      group->add_subcommand("join", "Accept an invitation: fetch the collection from peers");
  join->add_flag("--wait", join_args->wait,
                 "Wait for the initial sync from the connected peers, showing its progress");
  join->add_option("--timeout", join_args->timeout_s, "With --wait: give up after this many seconds")
      ->check(CLI::PositiveNumber);
  join->add_option("collection", join_args->collection, "Invitation name or collection ID (or unique prefix)")
      ->required();
  OnRun(join, ctx, [&ctx, join_args] { return RunJoin(ctx, *join_args); });
}

}  // namespace kongsi::server
