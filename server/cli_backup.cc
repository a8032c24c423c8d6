// `kongsi backup --to DIR` and `kongsi restore --from DIR`: see
// server/backup.h for what a backup holds and why it is consistent.
#include <filesystem>
#include <memory>
#include <string>

#include "server/backup.h"
#include "server/cli_commands.h"
#include "server/cli_output.h"

namespace kongsi::server {
namespace {

Status RunBackup(CliContext& ctx, const std::string& to) {
  // The node resolves the path, and a daemon's working directory is not
  // ours. With --node the path is on that node's machine.
  std::string dir = to;
  if (ctx.node_url.empty()) dir = std::filesystem::absolute(to).lexically_normal().string();
  ApiCall call{"POST", "/v1/backup"};
  call.body = boost::json::object{{"to", dir}};
  return CallAndPrint(ctx, call, [&](const boost::json::value& doc) {
    *ctx.out << "backed up node " << Text(doc, "node_id") << " to " << Text(doc, "dir") << " ("
             << Text(doc, "files") << " files, " << Text(doc, "bytes") << " bytes)\n"
             << "restore with: kongsi restore --from " << Text(doc, "dir") << " --data NEWDIR\n";
  });
}

// Not an API call: the target has no node yet, and a node must not be
// serving it.
Status RunRestore(const CliContext& ctx, const std::string& from) {
  auto node_id = RestoreBackup(from, ctx.data_dir);
  if (!node_id.ok()) return node_id.status();
  if (ctx.json) {
    PrintJson(*ctx.out, boost::json::object{{"node_id", *node_id}, {"data_dir", ctx.data_dir}});
  } else {
    *ctx.out << "restored node " << *node_id << " into " << ctx.data_dir << "\nstart it with: kongsi --data "
             << ctx.data_dir << " serve\n";
  }
  return Status::Ok();
}

}  // namespace

void AddBackupCommands(CLI::App& app, CliContext& ctx) {
  auto to = std::make_shared<std::string>();
  CLI::App* backup = app.add_subcommand(
      "backup", "Copy the node (consistent RocksDB checkpoint, key, config) into a new or empty directory");
  backup->add_option("--to", *to, "The backup directory (new or empty)")->required();
  OnRun(backup, ctx, [&ctx, to] { return RunBackup(ctx, *to); });

  auto from = std::make_shared<std::string>();
  CLI::App* restore = app.add_subcommand(
      "restore", "Make --data (new or empty) a copy of the node in a backup directory");
  restore->add_option("--from", *from, "A directory written by `kongsi backup`")->required();
  OnRun(restore, ctx, [&ctx, from] { return RunRestore(ctx, *from); });
}

}  // namespace kongsi::server
