#include "server/daemon.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <future>
#include <iostream>

#include "node/identity.h"
#include "server/api_server.h"
#include "server/peer_connection.h"
#include "server/peer_dialer.h"
#include "server/peer_hub.h"
#include "server/peer_listener.h"
#include "server/tls_context.h"

namespace kongsi::server {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// Changes whenever config.json is replaced (rename: new inode) or rewritten.
std::string ConfigStamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
         "." + std::to_string(st.st_mtim.tv_nsec);
}

Backoff BackoffOf(const Config& config) {
  return Backoff{milliseconds(config.reconnect_min_ms), milliseconds(config.reconnect_max_ms)};
}

}  // namespace

Daemon::Daemon(node::Node& node, DaemonOptions options)
    : node_(node),
      options_(std::move(options)),
      session_pool_(std::max(1u, options_.session_threads)),
      config_strand_(asio::make_strand(ioc_)),
      config_timer_(config_strand_) {}

Daemon::~Daemon() { Stop(); }

Status Daemon::Start() {
  if (started_ || stopped_) return Status::FailedPrecondition("a Daemon starts once");
  config_stamp_ = ConfigStamp(ConfigPath(options_.data_dir));
  auto config = LoadConfig(options_.data_dir);
  if (!config.ok()) return config.status();
  config_ = std::move(config).value();
  auto peer_listen = options_.peer_listen ? ParseHostPort(*options_.peer_listen, "--peer-listen", true)
                                          : ParseHostPort(config_.peer_listen, "\"peer_listen\"", true);
  if (!peer_listen.ok()) return peer_listen.status();
  peer_listen_ = *peer_listen;
  auto api_listen = options_.api_listen ? ParseHostPort(*options_.api_listen, "--api-listen", true)
                                        : ParseHostPort(config_.api_listen, "\"api_listen\"", true);
  if (!api_listen.ok()) return api_listen.status();
  api_listen_ = *api_listen;

  auto tls = MakePeerTlsContext(node_.identity());
  if (!tls.ok()) return tls.status();
  tls_ = std::move(tls).value();
  hub_ = std::make_shared<PeerHub>(node_, registry_);
  hub_->SetConfiguredPeers(config_.peers);
  hub_->ListenForCommits();
  env_ = std::make_unique<PeerEnvironment>(PeerEnvironment{node_, ioc_, *tls_, session_pool_, *hub_});
  listener_ = std::make_unique<PeerListener>(*env_);
  KONGSI_RETURN_IF_ERROR(listener_->Listen(peer_listen_));

  started_ = true;
  work_.emplace(ioc_.get_executor());
  for (unsigned i = 0; i < std::max(1u, options_.network_threads); ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
  listener_->Start();
  const std::string self = ShortId(node_.identity().node_id());
  spdlog::info("[{}] listening for peers on {}:{} ({})", self, peer_listen_.host, listener_->port(), kSyncPath);

  // Local HTTP API (issue 5): started here.
  ApiContext api_context{node_, &registry_, options_.data_dir, [this] { RefreshSessions(); }};
  api_context.ckan_public = config_.ckan_public;
  api_context.metrics_public = config_.metrics_public;
  auto api = StartLocalApi(ioc_, std::move(api_context), api_listen_, &runtime_);
  if (!api.ok()) {
    Stop();
    return api.status();
  }
  api_ = std::move(api).value();

  applied_ = config_;
  asio::post(config_strand_, [this] {
    ApplyPeers(config_);
    PollConfig();
  });
  runtime_.pid = ::getpid();
  runtime_.node_id = node_.identity().node_id_text();
  runtime_.peer_url = peer_url();
  Status written = WriteRuntimeFile(options_.data_dir, runtime_);
  if (!written.ok()) {
    Stop();
    return written;
  }
  return Status::Ok();
}

void Daemon::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (!started_) return;
  const std::string self = ShortId(node_.identity().node_id());
  spdlog::info("[{}] stopping: closing peer links", self);
  if (api_) api_->Stop();  // local API first, while the io_context still runs
  std::promise<void> halted;
  asio::post(config_strand_, [this, &halted] {
    config_timer_.cancel();
    for (auto& [id, dialer] : dialers_) dialer->Stop("node shutting down");
    dialers_.clear();
    dialers_closed_ = true;
    listener_->Stop();
    hub_->ShutdownAll(kCloseGoingAway, "node shutting down");
    halted.set_value();
  });
  halted.get_future().wait();
  if (!hub_->WaitUntilNoConnections(std::chrono::steady_clock::now() + kShutdownGrace)) {
    spdlog::warn("[{}] some peer links did not close within {} s; dropping them", self, kShutdownGrace.count());
  }
  hub_->Stop();
  work_.reset();
  ioc_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Lets a commit being received finish: it is one WriteBatch.
  session_pool_.join();
  RemoveRuntimeFile(options_.data_dir);
  spdlog::info("[{}] stopped", self);
}

uint16_t Daemon::peer_port() const { return listener_ ? listener_->port() : 0; }

std::string Daemon::peer_url() const { return PeerUrl(HostPort{"127.0.0.1", peer_port()}); }

void Daemon::RefreshSessions() {
  // The API calls this after a join and after it edits config.json (a peer
  // added or removed): re-read the config now, so a peer added is dialled at
  // once instead of at the next poll (up to kConfigPollInterval later).
  asio::post(config_strand_, [this] { ReloadConfig(); });
  if (hub_) hub_->RefreshAll();
}

void Daemon::ReloadConfig() {
  if (dialers_closed_) return;  // Stop ran: no new dialers
  std::string stamp = ConfigStamp(ConfigPath(options_.data_dir));
  if (stamp == config_stamp_) return;
  config_stamp_ = stamp;
  auto config = LoadConfig(options_.data_dir);
  if (config.ok()) {
    ApplyPeers(*config);
  } else {
    spdlog::error("[{}] {}; keeping the peers configured before", ShortId(node_.identity().node_id()),
                  config.status().message());
  }
}

void Daemon::PollConfig() {
  config_timer_.expires_after(kConfigPollInterval);
  config_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    ReloadConfig();
    PollConfig();
  });
}

void Daemon::ApplyPeers(const Config& config) {
  hub_->SetConfiguredPeers(config.peers);
  const Backoff backoff = BackoffOf(config);
  const Backoff old_backoff = BackoffOf(applied_);
  const bool backoff_changed = backoff.min != old_backoff.min || backoff.max != old_backoff.max;
  for (auto it = dialers_.begin(); it != dialers_.end();) {
    const PeerConfig* now = config.FindPeer(it->first);
    if (now && now->url == it->second->peer().url && !backoff_changed) {
      ++it;
      continue;
    }
    it->second->Stop(now ? "peer settings changed" : "peer removed from the config");
    if (!now) {
      registry_.Update(it->first, [](PeerState& p) {
        p.configured = false;
        p.dialing = false;  // the stopped dialer reports nothing more
      });
    }
    it = dialers_.erase(it);
  }
  applied_ = config;
  for (const PeerConfig& peer : config.peers) {
    registry_.Update(peer.node_id, [&](PeerState& p) {
      p.configured = true;
      p.url = peer.url;
      if (!peer.name.empty()) p.name = peer.name;
    });
    if (dialers_.count(peer.node_id)) continue;
    spdlog::info("[{}] peer {} at {}: dialing", ShortId(node_.identity().node_id()), ShortId(peer.node_id),
                 peer.url);
    auto dialer = std::make_shared<PeerDialer>(*env_, peer, backoff);
    dialers_[peer.node_id] = dialer;
    dialer->Start();
  }
}

Status ServeUntilSignal(const DaemonOptions& options) {
  // A daemon's stdout is for nobody; its log goes to stderr (journald).
  if (!spdlog::get("kongsi")) spdlog::set_default_logger(spdlog::stderr_color_mt("kongsi"));
  auto node = node::Node::Open(options.data_dir);
  if (!node.ok()) return node.status();
  // Before any thread starts, so a signal never finds the default action.
  asio::io_context signal_context;
  asio::signal_set signals(signal_context, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (!ec) received = signal;
  });
  Daemon daemon(**node, options);
  KONGSI_RETURN_IF_ERROR(daemon.Start());
  spdlog::info("[{}] serving {} as node {}", ShortId((*node)->identity().node_id()), options.data_dir,
               (*node)->identity().node_id_text());
  signal_context.run();
  spdlog::info("[{}] {}: shutting down", ShortId((*node)->identity().node_id()),
               received == SIGTERM ? "SIGTERM" : "SIGINT");
  daemon.Stop();
  return Status::Ok();
}

int RunDaemon(const DaemonOptions& options) {
  Status status = ServeUntilSignal(options);
  if (status.ok()) return 0;
  std::cerr << "kongsi serve: " << status.message() << "\n";
  return 1;
}

}  // namespace kongsi::server
