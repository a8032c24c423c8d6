// `kongsi peer add|list|remove`: the nodes this one syncs with. Adding and
// removing edit config.json (a running node follows the file), so they
// work whether or not a node is running.
#include <boost/json/object.hpp>
#include <memory>
#include <string>

#include "server/api_json.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"
#include "server/config.h"

namespace kongsi::server {
namespace {

struct AddArgs {
  std::string url;
  std::string node_id;
  std::string name;
  bool auto_join = false;
};

Status RunAdd(CliContext& ctx, const AddArgs& args) {
  ApiCall call{"POST", "/v1/peers"};
  call.body = boost::json::object{{"url", args.url},
                                  {"node_id", args.node_id},
                                  {"name", args.name},
                                  {"auto_join", args.auto_join}};
  return CallAndPrint(ctx, call, [&](const boost::json::value& doc) {
    *ctx.out << "added peer " << Text(doc, "node_id") << " at " << Text(doc, "url") << '\n';
  });
}

// Its "name" if it has one, else its `id_key` (a node or collection ID).
std::string NameOrId(const boost::json::value& doc, const char* id_key) {
  std::string name = Text(doc, "name");
  return name.empty() ? Text(doc, id_key) : name;
}

std::string BehindText(const boost::json::value& peer) {
  std::string out;
  for (const auto& b : peer.at("behind").as_array()) {
    out += (out.empty() ? "" : ", ") + NameOrId(b, "collection") + ":" + Text(b, "commits");
  }
  return out.empty() ? "-" : out;
}

Status RunList(CliContext& ctx) {
  return CallAndPrint(ctx, {"GET", "/v1/peers"}, [&](const boost::json::value& doc) {
    if (doc.as_array().empty()) {
      *ctx.out << "no peers (add one with `kongsi peer add wss://HOST:PORT/v1/sync NODEID`)\n";
      return;
    }
    Table table({"NODE", "NAME", "URL", "STATE", "LAST SEEN", "BEHIND"});
    for (const auto& p : doc.as_array()) {
      uint64_t seen = p.at("last_seen_ms").to_number<uint64_t>();
      std::string state = p.at("connected").as_bool()
                              ? (p.at("inbound").as_bool() ? "connected (in)" : "connected")
                              : (p.at("dialing").as_bool() ? "connecting" : "disconnected");
      if (!p.at("configured").as_bool()) state += ", not configured";
      std::string name = Text(p, "name"), url = Text(p, "url");
      table.AddRow({Text(p, "node_id"), name.empty() ? "-" : name, url.empty() ? "-" : url, state,
                    seen ? MsTime(seen) : "never", BehindText(p)});
    }
    table.Print(*ctx.out);
    for (const auto& p : doc.as_array()) {  // why a peer sends nothing of a collection
      for (const auto& r : p.at("refused").as_array()) {
        *ctx.out << "note: " << NameOrId(p, "node_id") << " sends nothing of "
                 << NameOrId(r, "collection") << ": " << Text(r, "message") << '\n';
      }
    }
  });
}

Status RunRemove(CliContext& ctx, const std::string& id_or_name) {
  return CallAndPrint(ctx, {"DELETE", ApiPath({"v1", "peers", id_or_name})},
                      [&](const boost::json::value& doc) {
                        *ctx.out << "removed peer " << Text(doc, "node_id") << '\n';
                      });
}

}  // namespace

void AddPeerCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group =
      app.add_subcommand("peer", "Add, list and remove the nodes this one syncs with");
  group->require_subcommand(1);

  auto args = std::make_shared<AddArgs>();
  CLI::App* add = group->add_subcommand("add", "Add a peer to config.json");
  add->add_option("url", args->url, "wss://HOST:PORT/v1/sync")
      ->required()
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            auto url = ParsePeerUrl(text, "url");
            return url.ok() ? "" : url.status().message();
          },
          "URL"));
  add->add_option("node_id", args->node_id, "The peer's node ID (52 base32 characters)")
      ->required()
      ->check(NodeIdValidator());
  add->add_option("--name", args->name, "A name for the peer (unique)");
  add->add_flag("--auto-join", args->auto_join, "Join every collection this peer invites us to");
  OnRun(add, ctx, [&ctx, args] { return RunAdd(ctx, *args); });

  CLI::App* list =
      group->add_subcommand("list", "Peers: connected or not, last seen, commits behind");
  OnRun(list, ctx, [&ctx] { return RunList(ctx); });

  auto remove_arg = std::make_shared<std::string>();
  CLI::App* remove = group->add_subcommand("remove", "Remove a peer from config.json");
  remove->add_option("peer", *remove_arg, "The peer's node ID or name")->required();
  OnRun(remove, ctx, [&ctx, remove_arg] { return RunRemove(ctx, *remove_arg); });
}

}  // namespace kongsi::server
