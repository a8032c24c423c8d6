// Test support for the peer transport: served nodes in temp dirs (TestPeer)
// and a raw peer (RawPeer) that does TLS 1.3 + WebSocket by hand with its own
// node identity, speaks the real protocol (kongsi.v1.Envelope, DESIGN §7) or
// anything else, and records every frame it receives. Every wait has a
// deadline and reports failure instead of hanging.
#pragma once

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kongsi/v1/sync.pb.h"
#include "node/sync_session.h"
#include "server/config.h"
#include "server/daemon.h"
#include "server/peer_connection.h"
#include "server/peer_hub.h"
#include "server/peer_listener.h"
#include "server/tls_context.h"
#include "tests/node/test_cluster.h"

namespace kongsi::server::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

inline constexpr auto kWait = std::chrono::seconds(20);  // generous: two cores shared with builds

// Polls `done` until it holds or the deadline passes.
inline bool WaitUntil(const std::function<bool()>& done, std::chrono::steady_clock::duration limit = kWait) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

inline std::optional<PeerState> PeerOf(Daemon& daemon, const std::string& peer_id) {
  for (const auto& p : daemon.registry().Snapshot()) {
    if (p.node_id == peer_id) return p;
  }
  return std::nullopt;
}

// A node in a temp dir with a known key, and its daemon (started on demand).
struct TestPeer {
  TestPeer(uint8_t seed, const std::string& name)
      : identity(node::testing::SeededIdentity(seed, name)),
        node(node::testing::OpenNodeAs(dir.Sub("data"), identity)) {}

  const std::string& id() const { return identity.node_id(); }
  std::string data_dir() const { return dir.Sub("data"); }

  // Adds `other` to config.json (fast reconnects for tests).
  void AddPeer(const TestPeer& other, bool auto_join = false) {
    AddPeerAt(other.daemon->peer_url(), other.id(), auto_join);
  }
  void AddPeerAt(const std::string& url, const std::string& node_id, bool auto_join = false) {
    auto config = LoadConfig(data_dir());
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config->reconnect_min_ms = 50;
    config->reconnect_max_ms = 500;
    ASSERT_TRUE(server::AddPeer(*config, url, node::NodeIdText(node_id), "", auto_join).ok());
    ASSERT_TRUE(SaveConfig(data_dir(), *config).ok());
  }

  void Serve(const std::string& listen = "127.0.0.1:0") {
    DaemonOptions options;
    options.data_dir = data_dir();
    options.peer_listen = listen;
    options.api_listen = "127.0.0.1:0";  // several daemons in one test
    daemon = std::make_unique<Daemon>(*node, options);
    Status s = daemon->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  node::testing::TempDir dir;
  node::Identity identity;
  std::unique_ptr<node::Node> node;
  std::unique_ptr<Daemon> daemon;  // declared last: stopped before the node closes
};

// A collection on `owner` with a dataset and two rows; `readers` may read it.
inline std::string MakeCollection(TestPeer& owner, const std::vector<const node::Identity*>& readers) {
  using namespace node::testing;  // NOLINT: the op builders
  auto coll = owner.node->CreateCollection("budget", "test");
  EXPECT_TRUE(coll.ok()) << coll.status().ToString();
  std::vector<v1::Op> ops{CreateDatasetOp("t", TestSchema()), UpsertOp("t", {Int(1)}, {{"a", Str("one")}}),
                          UpsertOp("t", {Int(2)}, {{"a", Str("two")}})};
  for (const auto* r : readers) ops.push_back(GrantOp(r->node_id(), v1::ROLE_READER));
  auto applied = owner.node->CommitOps(*coll, std::move(ops), "setup");
  EXPECT_TRUE(applied.ok()) << applied.status().ToString();
  return *coll;
}

inline void AddRow(TestPeer& owner, const std::string& coll, int64_t key) {
  using namespace node::testing;  // NOLINT: the op builders
  auto applied = owner.node->CommitOps(coll, {UpsertOp("t", {Int(key)}, {{"a", Str("row")}})}, "more");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
}

inline bool SameVersion(const TestPeer& a, const TestPeer& b, const std::string& coll) {
  return b.node->Holds(coll) && a.node->Version(coll) == b.node->Version(coll);
}

// A node's peer listener alone, with lowered connection limits: what Daemon
// wires up for peers, minus config, dialers and the local API.
class LimitedListener {
 public:
  LimitedListener(node::Node& node, ConnectionLimits limits)
      : tls_(MakePeerTlsContext(node.identity()).value()),
        hub_(std::make_shared<PeerHub>(node, registry_)),
        env_{node, ioc_, *tls_, session_pool_, *hub_, limits},
        listener_(env_) {
    hub_->ListenForCommits();
    Status s = listener_.Listen(HostPort{"127.0.0.1", 0});
    EXPECT_TRUE(s.ok()) << s.ToString();
    listener_.Start();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~LimitedListener() {  // as Daemon::Stop
    asio::post(ioc_, [this] {
      listener_.Stop();
      hub_->ShutdownAll(kCloseGoingAway, "test over");
    });
    EXPECT_TRUE(hub_->WaitUntilNoConnections(std::chrono::steady_clock::now() + kWait));
    hub_->Stop();
    work_.reset();
    ioc_.stop();
    thread_.join();
    session_pool_.join();
  }

  uint16_t port() const { return listener_.port(); }
  PeerRegistry& registry() { return registry_; }

 private:
  PeerRegistry registry_;
  std::shared_ptr<asio::ssl::context> tls_;
  asio::thread_pool session_pool_{1};  // outlives the io_context: connections hold strands of it
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{ioc_.get_executor()};
  std::shared_ptr<PeerHub> hub_;
  PeerEnvironment env_;
  PeerListener listener_;
  std::thread thread_;
};

// ---- the raw peer ----

using WsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

// A masked binary frame header announcing `length` payload bytes.
inline std::string FrameHeader(uint64_t length) {
  std::string h = {static_cast<char>(0x82), static_cast<char>(0x80 | 127)};
  for (int shift = 56; shift >= 0; shift -= 8) h.push_back(static_cast<char>((length >> shift) & 0xff));
  h += std::string("\x11\x22\x33\x44", 4);  // masking key
  return h;
}

// What a recording RawPeer got: every Envelope, in order, and how it ended.
struct Recording {
  std::vector<v1::Envelope> frames;
  size_t undecodable = 0;   // frames that were not an Envelope
  bool ended = false;       // the connection is over
  uint16_t close_code = 0;  // the server's close frame, if it sent one
  std::string close_reason;

  // Commits of `coll` received, each (author, seq) as often as it came.
  std::vector<std::pair<std::string, uint64_t>> CommitsOf(const std::string& coll) const {
    std::vector<std::pair<std::string, uint64_t>> out;
    for (const auto& f : frames) {
      if (!f.has_commits() || f.commits().collection() != coll) continue;
      for (const auto& sc : f.commits().commits()) {
        v1::Commit c;
        if (c.ParseFromString(sc.commit())) out.emplace_back(c.author(), c.seq());
      }
    }
    return out;
  }
  std::vector<v1::Error> Errors() const {
    std::vector<v1::Error> out;
    for (const auto& f : frames) {
      if (f.has_error()) out.push_back(f.error());
    }
    return out;
  }
  size_t Pongs(uint64_t nonce) const {
    size_t n = 0;
    for (const auto& f : frames) n += f.has_ping() && f.ping().pong() && f.ping().nonce() == nonce;
    return n;
  }
};

class RawPeer {
 public:
  // `tweak` may change the TLS context before use.
  explicit RawPeer(const node::Identity& identity, const std::function<void(SSL_CTX*)>& tweak = {})
      : identity_(identity), tls_(Context(identity, tweak)), ws_(asio::make_strand(ioc_), *tls_) {
    runner_ = std::thread([this] { ioc_.run(); });
  }
  ~RawPeer() {
    asio::post(ws_.get_executor(), [this] { beast::get_lowest_layer(ws_).close(); });
    work_.reset();
    ioc_.stop();
    runner_.join();
  }

  boost::system::error_code Connect(uint16_t port, const std::string& path = kSyncPath) {
    auto ec = OnStrand([this, port](auto done) {
      beast::get_lowest_layer(ws_).async_connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port),
                                                 done);
    });
    if (!ec) {
      ec = OnStrand([this](auto done) { ws_.next_layer().async_handshake(asio::ssl::stream_base::client, done); });
    }
    if (!ec) {
      auto host = std::make_shared<std::string>("127.0.0.1:" + std::to_string(port));
      auto target = std::make_shared<std::string>(path);
      ec = OnStrand([this, host, target](auto done) {
        ws_.async_handshake(*host, *target, [host, target, done](boost::system::error_code e) { done(e); });
      });
    }
    ws_.binary(true);
    return ec;
  }
  // A small kernel receive buffer, so that a peer that stops reading is
  // felt by the sender soon. Before Connect.
  void ShrinkReceiveBuffer(int bytes) {
    auto& socket = beast::get_lowest_layer(ws_).socket();
    socket.open(asio::ip::tcp::v4());
    socket.set_option(asio::socket_base::receive_buffer_size(bytes));
  }
  // Bytes straight onto the TLS stream, bypassing the WebSocket framing.
  boost::system::error_code WriteRaw(const std::string& bytes) {
    auto buf = std::make_shared<std::string>(bytes);
    return OnStrand([this, buf](auto done) {
      asio::async_write(ws_.next_layer(), asio::buffer(*buf), [buf, done](auto ec, size_t) { done(ec); });
    });
  }
  boost::system::error_code WriteMessage(const std::string& bytes) {
    auto buf = std::make_shared<std::string>(bytes);
    return OnStrand([this, buf](auto done) {
      ws_.async_write(asio::buffer(*buf), [buf, done](auto ec, size_t) { done(ec); });
    });
  }
  boost::system::error_code Send(const v1::Envelope& env) { return WriteMessage(env.SerializeAsString()); }

  // ---- the protocol, as a node would speak it ----
  // Hello with our node ID and `credit` bytes of initial credit.
  boost::system::error_code SendHello(uint64_t credit = node::kInitialCreditBytes) {
    v1::Envelope env;
    v1::Hello* hello = env.mutable_hello();
    hello->set_protocol_version(node::kProtocolVersion);
    hello->set_node_id(identity_.node_id());
    hello->set_name(identity_.name());
    hello->set_max_frame_bytes(node::kMaxFrameBytes);
    hello->set_initial_credit(credit);
    return Send(env);
  }
  boost::system::error_code SendHave(const std::string& coll, const v1::VersionVector& vv = {}) {
    v1::Envelope env;
    env.mutable_have()->set_collection(coll);
    *env.mutable_have()->mutable_vv() = vv;
    return Send(env);
  }
  boost::system::error_code SendCredit(uint64_t bytes) {
    v1::Envelope env;
    env.mutable_credit()->set_bytes(bytes);
    return Send(env);
  }
  boost::system::error_code SendCommits(const std::string& coll, const std::vector<v1::SignedCommit>& commits) {
    v1::Envelope env;
    env.mutable_commits()->set_collection(coll);
    for (const auto& sc : commits) *env.mutable_commits()->add_commits() = sc;
    return Send(env);
  }
  boost::system::error_code SendPing(uint64_t nonce) {
    v1::Envelope env;
    env.mutable_ping()->set_nonce(nonce);
    return Send(env);
  }

  // Reads every frame from now on in the background into recording().
  void StartRecording() {
    asio::post(ws_.get_executor(), [this] { DoRecord(); });
  }
  // Waits until `done` holds for the recording (checked on every frame).
  bool WaitFor(const std::function<bool(const Recording&)>& done, std::chrono::steady_clock::duration limit = kWait) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return done(recording_); });
  }
  Recording recording() const {
    std::lock_guard lock(mu_);
    return recording_;
  }

  // Reads (and drops) the server's frames until the connection ends; the
  // close code the server sent, or 0. Not with StartRecording.
  uint16_t ReadUntilClosed() {
    for (int i = 0; i < 1000; ++i) {
      // Shared: a read still pending when the wait times out writes into it.
      auto buffer = std::make_shared<beast::flat_buffer>();
      auto ec = OnStrand([this, buffer](auto done) {
        ws_.async_read(*buffer, [buffer, done](boost::system::error_code e, size_t) { done(e); });
      });
      // The close frame's code, even when echoing it failed because the
      // server had already dropped the socket.
      if (ec && ws_.reason().code != websocket::close_code::none) return static_cast<uint16_t>(ws_.reason().code);
      if (ec) {
        ADD_FAILURE() << "read ended without a close frame: " << ec.message();
        return 0;
      }
    }
    ADD_FAILURE() << "the server never closed";
    return 0;
  }
  std::string close_reason() const { return std::string(ws_.reason().reason.data(), ws_.reason().reason.size()); }

 private:
  // Starts `start(done)` on the stream's strand (the recording reads run
  // there too) and waits for it to call done(error_code). Every operation on
  // ws_ goes through here: it is not thread-safe, and an error travels as a
  // value (use_future's exception_ptr crosses threads inside the
  // uninstrumented libstdc++, which TSan reported as a race).
  template <typename Start>
  boost::system::error_code OnStrand(Start start) {
    auto result = std::make_shared<std::promise<boost::system::error_code>>();
    auto f = result->get_future();
    asio::post(ws_.get_executor(), [start = std::move(start), result]() mutable {
      start([result](boost::system::error_code ec) { result->set_value(ec); });
    });
    if (f.wait_for(kWait) != std::future_status::ready) return asio::error::timed_out;
    return f.get();
  }

  // The stream copies the context's settings when it is made: tweak first.
  static std::shared_ptr<asio::ssl::context> Context(const node::Identity& identity,
                                                     const std::function<void(SSL_CTX*)>& tweak) {
    auto tls = MakePeerTlsContext(identity).value();
    if (tweak) tweak(tls->native_handle());
    return tls;
  }

  // Network strand.
  void DoRecord() {
    ws_.async_read(read_buffer_, [this](boost::system::error_code ec, size_t) {
      {
        std::lock_guard lock(mu_);
        if (ec) {
          recording_.ended = true;
          recording_.close_code = static_cast<uint16_t>(ws_.reason().code);
          recording_.close_reason.assign(ws_.reason().reason.data(), ws_.reason().reason.size());
        } else {
          v1::Envelope env;
          std::string bytes = beast::buffers_to_string(read_buffer_.data());
          if (env.ParseFromString(bytes)) {
            recording_.frames.push_back(std::move(env));
          } else {
            ++recording_.undecodable;
          }
        }
      }
      read_buffer_.consume(read_buffer_.size());
      cv_.notify_all();
      if (!ec) DoRecord();
    });
  }

  node::Identity identity_;
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{ioc_.get_executor()};
  std::shared_ptr<asio::ssl::context> tls_;
  WsStream ws_;
  beast::flat_buffer read_buffer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Recording recording_;
  std::thread runner_;
};

}  // namespace kongsi::server::testing
