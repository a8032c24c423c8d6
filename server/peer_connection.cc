#include "server/peer_connection.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <optional>

#include "node/hlc.h"
#include "node/identity.h"
#include "node/sync_session.h"
#include "server/tls_context.h"

namespace kongsi::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using WsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

constexpr size_t kMaxUpgradeHeaderBytes = 8 * 1024;

class PeerConnection final : public std::enable_shared_from_this<PeerConnection>,
                             public node::SyncTransport,
                             public PeerLink {
 public:
  PeerConnection(PeerEnvironment& env, tcp::socket socket)
      : env_(env), inbound_(true), ws_(std::move(socket), env.tls) {
    error_code ec;
    auto remote = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
    remote_ = ec ? "?" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
    env_.hub.ConnectionCreated();
  }
  PeerConnection(PeerEnvironment& env, DialTarget target, ConnectionDone done)
      : env_(env),
        inbound_(false),
        target_(std::move(target)),
        done_(std::move(done)),
        ws_(asio::make_strand(env.ioc), env.tls) {
    remote_ = target_.url;
    env_.hub.ConnectionCreated();
  }
  ~PeerConnection() override { env_.hub.ConnectionDestroyed(); }

  void Start() {
    env_.hub.Track(shared_from_this());
    asio::dispatch(ws_.get_executor(), [self = shared_from_this()] {
      beast::get_lowest_layer(self->ws_).expires_after(self->env_.limits.handshake_timeout);
      if (self->inbound_) {
        self->DoTlsHandshake();
      } else {
        self->DoResolve();
      }
    });
  }

  // ---- node::SyncTransport: called on the session strand ----
  void Send(std::string frame) override {
    // Once the link is going away, frames are dropped here rather than
    // piling up in posted handlers while the session streams on.
    if (sending_stopped_.load(std::memory_order_relaxed)) return;
    asio::post(ws_.get_executor(),
               [self = shared_from_this(), f = std::move(frame)]() mutable { self->Enqueue(std::move(f)); });
  }
  void Close(uint16_t code, std::string reason) override { Shutdown(code, std::move(reason)); }

  // ---- PeerLink: any thread ----
  void NotifyCommit(const std::string& coll) override {
    asio::post(session_strand_, [self = shared_from_this(), coll] {
      if (!self->SessionLive()) return;
      self->session_->OnCommitApplied(coll);
      self->Mirror();
    });
  }
  void RefreshSession() override {
    asio::post(session_strand_, [self = shared_from_this()] {
      if (!self->SessionLive()) return;
      self->RefreshHeld();
      self->session_->Refresh();
      self->Mirror();
    });
  }
  void Shutdown(uint16_t code, std::string reason) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), code, r = std::move(reason)]() mutable {
      self->BeginClose(code, std::move(r));
    });
  }

 private:
  // ---- network strand: connecting ----
  void DoResolve() {
    resolver_.async_resolve(target_.address.host, std::to_string(target_.address.port),
                            [self = shared_from_this()](error_code ec, tcp::resolver::results_type results) {
                              if (self->finished_) return;  // shut down meanwhile
                              if (ec) return self->Fail("resolve " + self->target_.address.host + ": " + ec.message());
                              beast::get_lowest_layer(self->ws_).async_connect(
                                  results, [self](error_code ec, const tcp::endpoint&) {
                                    if (self->finished_) return;
                                    if (ec) return self->Fail("connect: " + ec.message());
                                    self->DoTlsHandshake();
                                  });
                            });
  }

  void DoTlsHandshake() {
    // A one-row commit is one small frame: without this Nagle holds it until
    // the peer acknowledges the previous one (up to a delayed-ACK timeout,
    // ~40 ms on Linux). Frames are written whole, so nothing is gained by
    // coalescing.
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
    auto role = inbound_ ? asio::ssl::stream_base::server : asio::ssl::stream_base::client;
    ws_.next_layer().async_handshake(role, [self = shared_from_this()](error_code ec) { self->OnTlsHandshake(ec); });
  }

  void OnTlsHandshake(error_code ec) {
    if (ec) return Fail("TLS handshake: " + ec.message());
    auto id = PeerNodeId(ws_.next_layer().native_handle());
    if (!id.ok()) return Fail("TLS handshake: " + id.status().message());
    peer_id_ = std::move(id).value();
    ws_.read_message_max(node::kMaxFrameBytes);
    ws_.binary(true);
    // Beast's defaults cut every message into 4 KiB frames, each its own TLS
    // record and write: a 4 MiB Commits message was ~1,000 of each. One
    // frame per message, masked (client side) through a 64 KiB buffer.
    // Must be set before the WebSocket handshake.
    ws_.auto_fragment(false);
    ws_.write_buffer_bytes(64 * 1024);
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = env_.limits.handshake_timeout;
    timeouts.idle_timeout = kIdleTimeout;
    timeouts.keep_alive_pings = true;
    if (!inbound_) {
      beast::get_lowest_layer(ws_).expires_never();  // the WebSocket has its own timeouts now
      ws_.set_option(timeouts);
      ws_.async_handshake(HostPortText(target_.address), kSyncPath,
                          [self = shared_from_this()](error_code ec) { self->OnWsHandshake(ec); });
      return;
    }
    // Read the upgrade request ourselves to check its path first.
    upgrade_.header_limit(kMaxUpgradeHeaderBytes);
    http::async_read(ws_.next_layer(), read_buffer_, upgrade_,
                     [self = shared_from_this(), timeouts](error_code ec, size_t) {
                       if (ec) return self->Fail("reading the WebSocket upgrade: " + ec.message());
                       const auto& req = self->upgrade_.get();
                       if (req.target() != kSyncPath || !websocket::is_upgrade(req)) return self->RefuseHttp();
                       beast::get_lowest_layer(self->ws_).expires_never();
                       self->ws_.set_option(timeouts);
                       self->ws_.async_accept(req, [self](error_code ec) { self->OnWsHandshake(ec); });
                     });
  }

  void RefuseHttp() {
    const auto& req = upgrade_.get();
    bool wrong_path = req.target() != kSyncPath;
    refusal_ = {wrong_path ? http::status::not_found : http::status::upgrade_required, req.version()};
    refusal_.set(http::field::content_type, "text/plain");
    refusal_.body() = "kongsi peers connect with a WebSocket upgrade at " + std::string(kSyncPath) + "\n";
    refusal_.prepare_payload();
    std::string why = wrong_path ? "HTTP request for " + std::string(req.target()) : "HTTP request without upgrade";
    http::async_write(ws_.next_layer(), refusal_,
                      [self = shared_from_this(), why](error_code, size_t) { self->Fail("refused: " + why); });
  }

  void OnWsHandshake(error_code ec) {
    if (ec) return Fail("WebSocket handshake: " + ec.message());
    open_ = true;
    if (!inbound_ && peer_id_ != target_.node_id) {
      end_error_ = "the server is node " + node::NodeIdText(peer_id_) + ", not " +
                   node::NodeIdText(target_.node_id) + " as configured";
      spdlog::error("{} {}", Tag(), end_error_);
      return BeginClose(node::kClosePolicyViolation, "node ID mismatch: you are " + ShortId(peer_id_) +
                                                         ", config expects " + ShortId(target_.node_id));
    }
    if (!inbound_) return OnAuthorized(Status::Ok());  // we dialled it, and it is who we meant
    // The membership check reads the Node, whose lock a commit being applied
    // holds through its fsync: not on a network thread.
    asio::post(session_strand_, [self = shared_from_this()] {
      Status allowed = self->env_.hub.MayConnect(self->peer_id_);
      asio::post(self->ws_.get_executor(), [self, allowed] { self->OnAuthorized(allowed); });
    });
  }

  void OnAuthorized(const Status& allowed) {
    if (closing_) return;  // shut down meanwhile
    if (!allowed.ok()) {
      spdlog::warn("{} refused: {}", Tag(), allowed.message());
      return BeginClose(node::kClosePolicyViolation, allowed.message());
    }
    Status registered = env_.hub.Register(shared_from_this(), peer_id_, inbound_);
    if (!registered.ok()) {
      spdlog::info("{} not kept: {}", Tag(), registered.message());
      superseded_ = registered.code() == Status::Code::kAlreadyExists;
      uint16_t code = registered.code() == Status::Code::kFailedPrecondition ? kCloseGoingAway : node::kCloseNormal;
      return BeginClose(code, registered.message());
    }
    registered_ = true;
    if (!inbound_) env_.hub.registry().Update(peer_id_, [&](PeerState& p) { p.url = target_.url; });
    spdlog::info("{} connected", Tag());
    DoRead();
    ScheduleRefresh();
    asio::post(session_strand_, [self = shared_from_this()] { self->SessionStart(); });
  }

  // ---- network strand: reading ----
  void DoRead() {
    ws_.async_read(read_buffer_, [self = shared_from_this()](error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(error_code ec) {
    if (ec) return OnReadError(ec);
    std::string frame = beast::buffers_to_string(read_buffer_.data());
    read_buffer_.consume(read_buffer_.size());
    last_seen_ms_ = node::SystemNowMs();
    backlog_bytes_ += frame.size();
    asio::post(session_strand_, [self = shared_from_this(), f = std::move(frame)] { self->SessionFrame(f); });
    if (backlog_bytes_ > kMaxReceiveBacklogBytes) {
      read_paused_ = true;  // SessionFrame resumes us once it caught up
      return;
    }
    DoRead();
  }

  void OnFrameHandled(size_t bytes) {
    backlog_bytes_ -= bytes;
    if (read_paused_ && backlog_bytes_ <= kMaxReceiveBacklogBytes && !closing_ && !finished_) {
      read_paused_ = false;
      DoRead();
    }
  }

  void OnReadError(error_code ec) {
    // A close frame from the peer: its reason is what matters, even when the
    // TLS teardown after it failed (then `ec` is that failure).
    const websocket::close_reason& r = ws_.reason();
    if (ec == websocket::error::closed || r.code != websocket::close_code::none) {
      if (!closing_) {
        end_error_ = fmt::format("closed by the peer ({} {})", static_cast<uint16_t>(r.code),
                                 std::string_view(r.reason.data(), r.reason.size()));
      }
      return ec == websocket::error::closed ? Finish() : Fail(end_error_);
    }
    if (ec == websocket::error::message_too_big) {
      return Fail(fmt::format("the peer sent a frame over {} bytes; closed with {}", node::kMaxFrameBytes,
                              node::kCloseTooBig));
    }
    Fail("read: " + ec.message());
  }

  // ---- network strand: writing and closing ----
  void Enqueue(std::string frame) {
    if (closing_ || finished_) return;
    queued_bytes_ += frame.size();
    if (queued_bytes_ > env_.limits.max_send_queue_bytes) {
      // A peer that stops reading will not read a close frame either.
      return Fail(fmt::format("the peer is not reading: over {} bytes queued for it",
                              env_.limits.max_send_queue_bytes));
    }
    queue_.push_back(std::move(frame));
    if (!write_in_flight_) DoWrite();
  }

  void DoWrite() {
    write_in_flight_ = true;
    ws_.async_write(asio::buffer(queue_.front()),
                    [self = shared_from_this()](error_code ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(error_code ec) {
    write_in_flight_ = false;
    if (ec) return Fail("write: " + ec.message());
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    if (pending_close_) return DoClose();
    if (!queue_.empty()) DoWrite();
  }

  void BeginClose(uint16_t code, std::string reason) {
    if (closing_ || finished_) return;
    closing_ = true;
    sending_stopped_ = true;
    reason = CloseReason(std::move(reason));
    if (end_error_.empty()) end_error_ = fmt::format("closed by this node ({} {})", code, reason);
    refresh_timer_.cancel();
    if (!open_) return Fail(end_error_);  // no WebSocket yet: nothing to say it with
    spdlog::info("{} closing: {} {}", Tag(), code, reason);
    // Frames not yet written are dropped: the link is going away.
    while (queue_.size() > (write_in_flight_ ? 1u : 0u)) {
      queued_bytes_ -= queue_.back().size();
      queue_.pop_back();
    }
    pending_close_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    if (!write_in_flight_) DoClose();
  }

  void DoClose() {
    ws_.async_close(*pending_close_, [self = shared_from_this()](error_code ec) {
      if (ec && ec != websocket::error::closed) self->end_error_ += " (close handshake: " + ec.message() + ")";
      self->Finish();
    });
  }

  // The link is dead: close the socket and report why.
  void Fail(const std::string& error) {
    if (end_error_.empty()) end_error_ = error;
    resolver_.cancel();
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    Finish();
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    closing_ = true;
    sending_stopped_ = true;
    refresh_timer_.cancel();
    bool was_current = registered_ && env_.hub.Unregister(this, peer_id_, end_error_);
    if (!inbound_ && !was_current && !env_.hub.IsConnected(target_.node_id)) {
      env_.hub.registry().Update(target_.node_id, [&](PeerState& p) { p.last_error = end_error_; });
    }
    if (registered_) {
      spdlog::info("{} disconnected: {}", Tag(), end_error_);
    } else if (superseded_) {
      // Logged as "not kept" already: the pair keeps the other link.
    } else if (!inbound_ || open_) {
      spdlog::warn("{} failed: {}", Tag(), end_error_);
    } else {
      spdlog::info("{} failed: {}", Tag(), end_error_);  // before any identity: may be a port scanner
    }
    asio::post(session_strand_, [self = shared_from_this()] {
      self->Mirror();
      self->session_done_ = true;
    });
    if (done_) {
      ConnectionDone done = std::move(done_);
      done(ConnectionEnd{hello_received_.load(), end_error_, superseded_});
    }
  }

  void ScheduleRefresh() {
    refresh_timer_.expires_after(kSessionRefreshInterval);
    refresh_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->closing_) return;
      self->RefreshSession();
      self->ScheduleRefresh();
    });
  }

  // "[ourid] peer THEIRID (where)" for log lines.
  std::string Tag() const {
    std::string who = !peer_id_.empty() ? ShortId(peer_id_) : inbound_ ? "?" : ShortId(target_.node_id);
    return fmt::format("[{}] peer {} ({} {})", ShortId(env_.hub.self_id()), who, inbound_ ? "from" : "to", remote_);
  }

  // ---- session strand ----
  bool SessionLive() const { return session_ && !session_done_; }

  void SessionStart() {
    node::SyncOptions options;
    options.local_name = env_.node.identity().name();
    auto configured = env_.hub.ConfiguredPeer(peer_id_);
    options.auto_join = configured && configured->auto_join;
    session_.emplace(env_.node, peer_id_, std::move(options), *this);
    RefreshHeld();
    session_->Start();
    Mirror();
  }

  void SessionFrame(const std::string& frame) {
    if (SessionLive()) {
      session_->OnFrame(frame);
      Mirror();
    }
    asio::post(ws_.get_executor(), [self = shared_from_this(), n = frame.size()] { self->OnFrameHandled(n); });
  }

  void RefreshHeld() {
    held_.clear();
    for (const auto& info : env_.node.ListCollections()) held_.push_back(info.id());
  }

  // Copies the session's state into the registry, and logs what the peer
  // rejected or reported since the last call.
  void Mirror() {
    if (!session_) return;
    const node::SyncStats& stats = session_->stats();
    if (stats.commits_rejected > logged_rejected_) {
      spdlog::warn("{} rejected {} commit(s) it sent; last: {}", Tag(), stats.commits_rejected - logged_rejected_,
                   stats.last_error_sent);
      logged_rejected_ = stats.commits_rejected;
    }
    if (stats.errors_received > logged_errors_) {
      spdlog::warn("{} reported {} error(s); last: {}", Tag(), stats.errors_received - logged_errors_,
                   stats.last_error_received);
      logged_errors_ = stats.errors_received;
    }
    if (session_->hello_received()) hello_received_ = true;
    if (!env_.hub.IsCurrent(this, peer_id_)) return;
    std::map<std::string, uint64_t> behind, ahead;
    for (const auto& coll : held_) {
      if (auto b = session_->Behind(coll)) behind[coll] = *b;
      if (auto a = session_->Ahead(coll)) ahead[coll] = *a;
    }
    env_.hub.registry().Update(peer_id_, [&](PeerState& p) {
      p.stats = stats;
      p.last_seen_ms = last_seen_ms_.load();
      if (p.name.empty()) p.name = session_->peer_name();
      p.behind = std::move(behind);
      p.ahead = std::move(ahead);
    });
  }

  PeerEnvironment& env_;
  const bool inbound_;
  DialTarget target_;  // outbound only
  ConnectionDone done_;
  std::string remote_;  // address for log lines

  // Network strand (ws_'s executor).
  WsStream ws_;
  tcp::resolver resolver_{ws_.get_executor()};
  asio::steady_timer refresh_timer_{ws_.get_executor()};
  beast::flat_buffer read_buffer_;
  http::request_parser<http::empty_body> upgrade_;
  http::response<http::string_body> refusal_;
  std::string peer_id_;  // set once after the TLS handshake, read-only after
  bool open_ = false, registered_ = false, closing_ = false, finished_ = false;
  bool superseded_ = false;  // refused by the hub: another link to the peer is kept
  bool read_paused_ = false, write_in_flight_ = false;
  size_t backlog_bytes_ = 0, queued_bytes_ = 0;
  std::deque<std::string> queue_;
  std::optional<websocket::close_reason> pending_close_;
  std::string end_error_;

  // Shared between strands.
  std::atomic<uint64_t> last_seen_ms_{0};
  std::atomic<bool> hello_received_{false};
  std::atomic<bool> sending_stopped_{false};

  // Session strand.
  asio::strand<asio::thread_pool::executor_type> session_strand_{asio::make_strand(env_.session_pool)};
  std::optional<node::SyncSession> session_;
  bool session_done_ = false;
  std::vector<std::string> held_;
  uint64_t logged_rejected_ = 0, logged_errors_ = 0;
};

}  // namespace

std::string CloseReason(std::string reason) {
  if (reason.size() <= kMaxCloseReasonBytes) return reason;
  size_t cut = kMaxCloseReasonBytes;
  // Back up over UTF-8 continuation bytes so no character is split.
  while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
  reason.resize(cut);
  return reason;
}

void AcceptPeer(PeerEnvironment& env, tcp::socket socket) {
  std::make_shared<PeerConnection>(env, std::move(socket))->Start();
}

std::shared_ptr<PeerLink> DialPeer(PeerEnvironment& env, DialTarget target, ConnectionDone done) {
  auto connection = std::make_shared<PeerConnection>(env, std::move(target), std::move(done));
  connection->Start();
  return connection;
}

}  // namespace kongsi::server
