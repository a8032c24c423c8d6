// `kongsi serve`: the node as a daemon. One io_context on a few network
// threads (listener, dialers, connection I/O), a separate small pool for the
// sync sessions (their RocksDB writes wait on fsync), a timer that follows
// config.json, and <data>/serve.json telling local tools where we are.
//
// Stop (SIGTERM/SIGINT in RunDaemon) stops accepting and dialing, closes
// every link with 1001 "going away", waits for the connections to finish
// and joins both pools. A commit being received runs to its end first: it
// is one WriteBatch, so it is applied whole or not at all.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "node/node.h"
#include "server/config.h"
#include "server/peer_registry.h"
#include "server/runtime_file.h"

namespace kongsi::server {

class ApiServer;
class PeerHub;
class PeerListener;
class PeerDialer;
struct PeerEnvironment;

// How often config.json's mtime is checked for peers added or removed.
inline constexpr std::chrono::seconds kConfigPollInterval{1};
// How long Stop lets links finish their close handshakes.
inline constexpr std::chrono::seconds kShutdownGrace{5};

struct DaemonOptions {
  std::string data_dir;
  std::optional<std::string> peer_listen;  // --peer-listen, overrides config.json
  std::optional<std::string> api_listen;   // --api-listen
  unsigned network_threads = 1;
  unsigned session_threads = 2;
};

class Daemon {
 public:
  // `node` must outlive the Daemon.
  Daemon(node::Node& node, DaemonOptions options);
  ~Daemon();  // Stop()
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Loads the config (errors name the key), binds the listener, starts the
  // threads, dials the configured peers and writes serve.json. Returns once
  // all of that is done; nothing keeps running on error.
  Status Start();
  // Idempotent; blocks until everything has stopped; removes serve.json.
  void Stop();

  uint16_t peer_port() const;
  // wss://127.0.0.1:PORT/v1/sync with the bound port.
  std::string peer_url() const;
  PeerRegistry& registry() { return registry_; }
  node::Node& node() { return node_; }
  boost::asio::io_context& io_context() { return ioc_; }
  const Config& config() const { return config_; }  // as loaded by Start
  // Asks every session to re-check memberships now (after a Join, say).
  void RefreshSessions();

 private:
  void PollConfig();
  // Applies config.json if it changed since last read (config strand).
  void ReloadConfig();
  // Starts, stops or restarts dialers to match `config` (config strand).
  // The first call (from Start) starts one per configured peer.
  void ApplyPeers(const Config& config);

  node::Node& node_;
  DaemonOptions options_;
  Config config_;
  HostPort peer_listen_;
  HostPort api_listen_;
  RuntimeInfo runtime_;
  bool started_ = false;
  bool stopped_ = false;

  std::shared_ptr<boost::asio::ssl::context> tls_;
  PeerRegistry registry_;
  std::shared_ptr<PeerHub> hub_;
  std::unique_ptr<PeerEnvironment> env_;  // connections refer to it to the end
  // Destroyed after the io_context: connections hold strands of it.
  boost::asio::thread_pool session_pool_;
  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;

  // Below: objects bound to ioc_, destroyed before it.
  std::unique_ptr<PeerListener> listener_;
  std::unique_ptr<ApiServer> api_;  // the local HTTP API (server/api_server.h)
  boost::asio::strand<boost::asio::io_context::executor_type> config_strand_;
  boost::asio::steady_timer config_timer_;
  // Config strand only:
  std::string config_stamp_;  // identity of the config.json last loaded
  Config applied_;            // the config the dialers follow
  std::map<std::string, std::shared_ptr<PeerDialer>> dialers_;  // by peer node ID
  bool dialers_closed_ = false;  // set by Stop
};

// Opens the node in `options.data_dir`, runs a Daemon until SIGTERM or
// SIGINT, then stops it cleanly. Logs to stderr.
Status ServeUntilSignal(const DaemonOptions& options);
// The same, as an exit code (0 ok, 1 failure; the error goes to stderr).
int RunDaemon(const DaemonOptions& options);

}  // namespace kongsi::server
