// `kongsi serve`: run the node as a daemon until SIGTERM or SIGINT.
#include <malloc.h>

#include <memory>
#include <string>

#include "server/cli_commands.h"
#include "server/config.h"
#include "server/daemon.h"

namespace kongsi::server {

void AddServeCommands(CLI::App& app, CliContext& ctx) {
  auto* serve = app.add_subcommand(
      "serve", "Run the node: sync with peers over wss://HOST:PORT/v1/sync until SIGTERM or SIGINT");
  struct ServeArgs {
    std::string peer_listen, api_listen;
  };
  auto args = std::make_shared<ServeArgs>();
  // Checked while parsing, so a malformed address is a usage error.
  auto host_port = [](const std::string& flag) {
    return CLI::Validator(
        [flag](std::string& text) {
          auto parsed = ParseHostPort(text, flag, /*allow_port_zero=*/true);
          if (parsed.ok()) return std::string();
          // CLI11 names the flag itself.
          return parsed.status().message().substr(flag.size() + 2);
        },
        "HOST:PORT");
  };
  serve->add_option("--peer-listen", args->peer_listen,
                    "Where peers connect, HOST:PORT (port 0: any free port); overrides peer_listen in "
                    "config.json (default " + std::string(kDefaultPeerListen) + ")")
      ->check(host_port("--peer-listen"));
  serve->add_option("--api-listen", args->api_listen,
                    "Where the local HTTP API listens, HOST:PORT; overrides api_listen in config.json "
                    "(default " + std::string(kDefaultApiListen) + ")")
      ->check(host_port("--api-listen"));
  OnRun(serve, ctx, [&ctx, args] {
    // One malloc arena, set before any thread starts: with glibc's default
    // (8 per core) a receiving node's RSS was twice its heap, 516 MB for a
    // 230 MB peak in a 1M-row initial sync (heaptrack), freed blocks
    // stranded in per-thread arenas. One arena held RSS to 295 MB at the
    // same sync rate; the node's threads are few and mostly in RocksDB/TLS.
    mallopt(M_ARENA_MAX, 1);
    DaemonOptions options;
    options.data_dir = ctx.data_dir;
    if (!args->peer_listen.empty()) options.peer_listen = args->peer_listen;
    if (!args->api_listen.empty()) options.api_listen = args->api_listen;
    return ServeUntilSignal(options);
  });
}

}  // namespace kongsi::server
