// The peer transport end to end: real Nodes in temp dirs, each with its own
// Daemon, talking WebSocket over TLS 1.3 on 127.0.0.1; and a raw Beast
// client with its own identity for what a well-behaved node never sends.
// Every wait polls against a deadline and fails with a message.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "node/sync_session.h"
#include "server/config.h"
#include "server/daemon.h"
#include "server/peer_dialer.h"
#include "server/runtime_file.h"
#include "server/tls_context.h"
#include "tests/node/test_cluster.h"

namespace kongsi::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using node::testing::CreateDatasetOp;
using node::testing::GrantOp;
using node::testing::Int;
using node::testing::SeededIdentity;
using node::testing::Str;
using node::testing::TempDir;
using node::testing::TestSchema;
using node::testing::UpsertOp;
using std::chrono::seconds;

constexpr auto kWait = seconds(20);  // generous: two cores shared with builds

// Polls `done` until it holds or the deadline passes.
bool WaitUntil(const std::function<bool()>& done, std::chrono::steady_clock::duration limit = kWait) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::optional<PeerState> PeerOf(Daemon& daemon, const std::string& peer_id) {
  for (const auto& p : daemon.registry().Snapshot()) {
    if (p.node_id == peer_id) return p;
  }
  return std::nullopt;
}

// A node in a temp dir with a known key, and its daemon (started on demand).
struct TestPeer {
  TestPeer(uint8_t seed, const std::string& name)
      : identity(SeededIdentity(seed, name)), node(node::testing::OpenNodeAs(dir.Sub("data"), identity)) {}

  const std::string& id() const { return identity.node_id(); }
  std::string data_dir() const { return dir.Sub("data"); }

  // Adds `other` to config.json (fast reconnects for tests).
  void AddPeer(const TestPeer& other, bool auto_join = false) { AddPeerAt(other.daemon->peer_url(), other.id(), auto_join); }
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

  TempDir dir;
  node::Identity identity;
  std::unique_ptr<node::Node> node;
  std::unique_ptr<Daemon> daemon;  // declared last: stopped before the node closes
};

// A collection on `owner` with a dataset and two rows; `readers` may read it.
std::string MakeCollection(TestPeer& owner, const std::vector<const node::Identity*>& readers) {
  auto coll = owner.node->CreateCollection("budget", "test");
  EXPECT_TRUE(coll.ok()) << coll.status().ToString();
  std::vector<v1::Op> ops{CreateDatasetOp("t", TestSchema()),
                          UpsertOp("t", {Int(1)}, {{"a", Str("one")}}),
                          UpsertOp("t", {Int(2)}, {{"a", Str("two")}})};
  for (const auto* r : readers) ops.push_back(GrantOp(r->node_id(), v1::ROLE_READER));
  auto applied = owner.node->CommitOps(*coll, std::move(ops), "setup");
  EXPECT_TRUE(applied.ok()) << applied.status().ToString();
  return *coll;
}

void AddRow(TestPeer& owner, const std::string& coll, int64_t key) {
  auto applied = owner.node->CommitOps(coll, {UpsertOp("t", {Int(key)}, {{"a", Str("row")}})}, "more");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
}

bool SameVersion(const TestPeer& a, const TestPeer& b, const std::string& coll) {
  return b.node->Holds(coll) && a.node->Version(coll) == b.node->Version(coll);
}

TEST(PeerTransportTest, TwoNodesSyncACollection) {
  TestPeer a(1, "ngo-a"), b(2, "ngo-b");
  std::string coll = MakeCollection(a, {&b.identity});
  a.Serve();
  b.AddPeer(a);
  b.Serve();

  // Nothing arrives unasked: first an invitation, then B joins.
  ASSERT_TRUE(WaitUntil([&] { return !b.node->Invites().empty(); })) << "B never saw A's invitation";
  EXPECT_EQ(b.node->Invites()[0].collection(), coll);
  EXPECT_FALSE(b.node->Holds(coll));
  ASSERT_TRUE(b.node->Join(node::HexId(coll)).ok());
  b.daemon->RefreshSessions();
  ASSERT_TRUE(WaitUntil([&] { return SameVersion(a, b, coll); })) << "B did not catch up with A";

  // Live: a new commit on A streams to B.
  AddRow(a, coll, 3);
  ASSERT_TRUE(WaitUntil([&] { return SameVersion(a, b, coll); })) << "B did not get A's new commit";
  EXPECT_EQ(node::testing::DigestOf(*a.node, coll), node::testing::DigestOf(*b.node, coll));

  auto seen_by_b = PeerOf(*b.daemon, a.id());
  ASSERT_TRUE(seen_by_b.has_value());
  EXPECT_TRUE(seen_by_b->connected);
  EXPECT_FALSE(seen_by_b->inbound);
  EXPECT_TRUE(seen_by_b->configured);
  EXPECT_GE(seen_by_b->stats.commits_applied, 2u);
  EXPECT_GT(seen_by_b->last_seen_ms, 0u);
  auto seen_by_a = PeerOf(*a.daemon, b.id());
  ASSERT_TRUE(seen_by_a.has_value());
  EXPECT_TRUE(seen_by_a->inbound);
  EXPECT_EQ(seen_by_a->name, "ngo-b");  // from B's Hello
}

TEST(PeerTransportTest, UnknownNodeIsClosedWithAReasonTheDialerRecords) {
  TestPeer a(1, "ngo-a"), b(2, "ngo-b");
  a.Serve();  // knows nothing of B
  b.AddPeer(a);
  b.Serve();
  auto closed = [&] {
    auto p = PeerOf(*b.daemon, a.id());
    return p && p->last_error.find("1008") != std::string::npos;
  };
  ASSERT_TRUE(WaitUntil(closed)) << "B never recorded A's refusal";
  auto p = PeerOf(*b.daemon, a.id());
  EXPECT_NE(p->last_error.find("unknown node ID"), std::string::npos) << p->last_error;
  EXPECT_FALSE(p->connected);
  EXPECT_FALSE(PeerOf(*a.daemon, b.id()).has_value()) << "an unknown node got a registry entry";
}

TEST(PeerTransportTest, DialerRefusesAServerWithAnotherNodeId) {
  TestPeer a(1, "ngo-a"), b(2, "ngo-b");
  node::Identity expected = SeededIdentity(3, "ngo-c");
  a.Serve();
  b.AddPeerAt(a.daemon->peer_url(), expected.node_id());  // A's address, C's ID
  b.Serve();
  auto refused = [&] {
    auto p = PeerOf(*b.daemon, expected.node_id());
    return p && !p->last_error.empty();
  };
  ASSERT_TRUE(WaitUntil(refused)) << "B never recorded the mismatch";
  auto p = PeerOf(*b.daemon, expected.node_id());
  EXPECT_NE(p->last_error.find(a.identity.node_id_text()), std::string::npos) << p->last_error;
  EXPECT_NE(p->last_error.find("as configured"), std::string::npos) << p->last_error;
  EXPECT_EQ(p->connects, 0u);
  EXPECT_FALSE(PeerOf(*b.daemon, a.id()).has_value()) << "B registered the wrong server";
}

// ---- a raw client: TLS + WebSocket by hand, with its own node identity ----

using WsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

// Waits for an operation started with use_future; its error, or timed_out.
template <typename T>
boost::system::error_code Await(std::future<T> f) {
  if (f.wait_for(kWait) != std::future_status::ready) return asio::error::timed_out;
  try {
    f.get();
  } catch (const boost::system::system_error& e) {
    return e.code();
  }
  return {};
}

class RawPeer {
 public:
  // `tweak` may change the TLS context before use.
  explicit RawPeer(const node::Identity& identity, const std::function<void(SSL_CTX*)>& tweak = {})
      : tls_(Context(identity, tweak)), ws_(asio::make_strand(ioc_), *tls_) {
    runner_ = std::thread([this] { ioc_.run(); });
  }
  ~RawPeer() {
    asio::post(ws_.get_executor(), [this] { beast::get_lowest_layer(ws_).close(); });
    work_.reset();
    ioc_.stop();
    runner_.join();
  }

  boost::system::error_code Connect(uint16_t port, const std::string& path = kSyncPath) {
    auto ec = Await(beast::get_lowest_layer(ws_).async_connect(
        asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port), asio::use_future));
    if (!ec) ec = Await(ws_.next_layer().async_handshake(asio::ssl::stream_base::client, asio::use_future));
    if (!ec) ec = Await(ws_.async_handshake("127.0.0.1:" + std::to_string(port), path, asio::use_future));
    return ec;
  }
  // Bytes straight onto the TLS stream, bypassing the WebSocket framing.
  boost::system::error_code WriteRaw(const std::string& bytes) {
    return Await(asio::async_write(ws_.next_layer(), asio::buffer(bytes), asio::use_future));
  }
  boost::system::error_code WriteMessage(const std::string& bytes) {
    ws_.binary(true);
    return Await(ws_.async_write(asio::buffer(bytes), asio::use_future));
  }
  // Reads (and drops) the server's frames until the connection ends; the
  // close code the server sent, or 0.
  uint16_t ReadUntilClosed() {
    for (int i = 0; i < 1000; ++i) {
      beast::flat_buffer buffer;
      auto ec = Await(ws_.async_read(buffer, asio::use_future));
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
  // The stream copies the context's settings when it is made: tweak first.
  static std::shared_ptr<asio::ssl::context> Context(const node::Identity& identity,
                                                     const std::function<void(SSL_CTX*)>& tweak) {
    auto tls = MakePeerTlsContext(identity).value();
    if (tweak) tweak(tls->native_handle());
    return tls;
  }

  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{ioc_.get_executor()};
  std::shared_ptr<asio::ssl::context> tls_;
  WsStream ws_;
  std::thread runner_;
};

// A masked binary frame header announcing `length` payload bytes.
std::string FrameHeader(uint64_t length) {
  std::string h = {static_cast<char>(0x82), static_cast<char>(0x80 | 127)};
  for (int shift = 56; shift >= 0; shift -= 8) h.push_back(static_cast<char>((length >> shift) & 0xff));
  h += std::string("\x11\x22\x33\x44", 4);  // masking key
  return h;
}

// A serving node A that lets the raw client's identity in (it is a reader
// of A's collection).
class RawClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeCollection(a_, {&raw_id_});
    a_.Serve();
  }
  uint16_t port() const { return a_.daemon->peer_port(); }

  TestPeer a_{1, "ngo-a"};
  node::Identity raw_id_ = SeededIdentity(7, "raw");
};

TEST_F(RawClientTest, OversizedFrameClosesWith1009) {
  RawPeer raw(raw_id_);
  ASSERT_FALSE(raw.Connect(port()));
  const uint64_t size = 17u << 20;
  ASSERT_GT(size, node::kMaxFrameBytes);
  // The header says 17 MiB; the server must refuse on the header, before
  // buffering the payload.
  ASSERT_FALSE(raw.WriteRaw(FrameHeader(size) + std::string(64 * 1024, 'x')));
  EXPECT_EQ(raw.ReadUntilClosed(), node::kCloseTooBig);
}

TEST_F(RawClientTest, GarbageBytesCloseWithProtocolError) {
  RawPeer raw(raw_id_);
  ASSERT_FALSE(raw.Connect(port()));
  ASSERT_FALSE(raw.WriteMessage(std::string("\xff\xff\xff\xff\xff garbage", 14)));
  EXPECT_EQ(raw.ReadUntilClosed(), node::kCloseProtocolError);
  EXPECT_NE(raw.close_reason().find("decode"), std::string::npos) << raw.close_reason();
}

TEST(PeerTransportTest, UnknownRawClientIsRefusedWith1008) {
  TestPeer a(1, "ngo-a");
  a.Serve();
  RawPeer raw(SeededIdentity(8, "stranger"));
  ASSERT_FALSE(raw.Connect(a.daemon->peer_port()));
  EXPECT_EQ(raw.ReadUntilClosed(), node::kClosePolicyViolation);
  EXPECT_NE(raw.close_reason().find("unknown node ID"), std::string::npos) << raw.close_reason();
}

TEST_F(RawClientTest, OtherPathsAreRefused) {
  RawPeer raw(raw_id_);
  EXPECT_EQ(raw.Connect(port(), "/v2/sync"), websocket::error::upgrade_declined);
}

TEST_F(RawClientTest, OnlyTls13IsSpoken) {
  RawPeer raw(raw_id_, [](SSL_CTX* ctx) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  });
  EXPECT_TRUE(raw.Connect(port())) << "a TLS 1.2 client got through";
}

TEST(PeerTransportTest, StartFailsOnAPortInUse) {
  TestPeer a(1, "ngo-a"), b(2, "ngo-b");
  a.Serve();
  DaemonOptions options;
  options.data_dir = b.data_dir();
  options.peer_listen = "127.0.0.1:" + std::to_string(a.daemon->peer_port());
  Daemon daemon(*b.node, options);
  Status s = daemon.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(*options.peer_listen), std::string::npos) << s.ToString();
  EXPECT_FALSE(ReadRuntimeFile(b.data_dir()).ok()) << "serve.json written by a daemon that did not start";
}

TEST(PeerTransportTest, ServeJsonNamesTheBoundPortUntilStop) {
  TestPeer a(1, "ngo-a");
  a.Serve();
  auto info = ReadRuntimeFile(a.data_dir());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->peer_url, "wss://127.0.0.1:" + std::to_string(a.daemon->peer_port()) + "/v1/sync");
  EXPECT_EQ(info->node_id, a.identity.node_id_text());
  EXPECT_EQ(info->pid, ::getpid());
  a.daemon->Stop();
  EXPECT_TRUE(ReadRuntimeFile(a.data_dir()).status().IsNotFound());
}

TEST(BackoffTest, DoublesUpToTheCapWithJitterAboveTheFloor) {
  using std::chrono::milliseconds;
  Backoff b{milliseconds(500), milliseconds(30000)};
  EXPECT_EQ(BackoffDelay(b, 0, 0.0), milliseconds(500));
  EXPECT_EQ(BackoffDelay(b, 0, 0.99), milliseconds(500));
  EXPECT_EQ(BackoffDelay(b, 1, 1.0), milliseconds(1000));
  EXPECT_EQ(BackoffDelay(b, 3, 1.0), milliseconds(4000));
  EXPECT_EQ(BackoffDelay(b, 3, 0.5), milliseconds(2250));
  EXPECT_EQ(BackoffDelay(b, 6, 1.0), milliseconds(30000));  // 32 s capped
  EXPECT_EQ(BackoffDelay(b, 1000, 1.0), milliseconds(30000));
  EXPECT_EQ(BackoffDelay(b, 1000, 0.0), milliseconds(500));
}

TEST(PeerTransportTest, ReconnectsAfterTheListenerRestarts) {
  TestPeer a(1, "ngo-a"), b(2, "ngo-b");
  std::string coll = MakeCollection(a, {&b.identity});
  a.Serve();
  const uint16_t port = a.daemon->peer_port();
  b.AddPeer(a, /*auto_join=*/true);
  b.Serve();
  ASSERT_TRUE(WaitUntil([&] { return SameVersion(a, b, coll); })) << "B did not auto-join and catch up";

  a.daemon.reset();  // stops A's listener and links
  ASSERT_TRUE(WaitUntil([&] { return !PeerOf(*b.daemon, a.id())->connected; })) << "B did not notice";
  AddRow(a, coll, 3);  // while apart
  a.Serve("127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(WaitUntil([&] { return SameVersion(a, b, coll); })) << "B did not reconnect and catch up";
  auto p = PeerOf(*b.daemon, a.id());
  EXPECT_TRUE(p->connected);
  EXPECT_GE(p->connects, 2u);
}

TEST(PeerTransportTest, CommitsRelayThroughAMiddleNode) {
  // A - B - C: C never talks to A, yet gets A's commits through B.
  TestPeer a(1, "ngo-a"), b(2, "ngo-b"), c(3, "ngo-c");
  std::string coll = MakeCollection(a, {&b.identity, &c.identity});
  a.Serve();
  b.AddPeer(a, /*auto_join=*/true);
  b.Serve();
  ASSERT_TRUE(WaitUntil([&] { return SameVersion(a, b, coll); })) << "B did not catch up with A";
  c.AddPeer(b, /*auto_join=*/true);
  c.Serve();
  ASSERT_TRUE(WaitUntil([&] { return SameVersion(a, c, coll); })) << "C did not catch up through B";
  AddRow(a, coll, 4);
  ASSERT_TRUE(WaitUntil([&] { return SameVersion(a, c, coll); })) << "A's new commit did not reach C";
  EXPECT_EQ(node::testing::DigestOf(*a.node, coll), node::testing::DigestOf(*c.node, coll));
  EXPECT_FALSE(PeerOf(*c.daemon, a.id()).has_value());
}

TEST(PeerTransportTest, NodesThatDialEachOtherKeepOneLink) {
  TestPeer a(1, "ngo-a"), b(2, "ngo-b");
  a.Serve();
  b.Serve();
  // Each learns of the other after start, from config.json: the daemons
  // follow the file without a restart.
  a.AddPeer(b);
  b.AddPeer(a);
  // The link kept is the one dialled by the smaller node ID, seen alike
  // from both ends.
  const bool a_dials = a.id() < b.id();
  auto settled = [&] {
    auto at_a = PeerOf(*a.daemon, b.id());
    auto at_b = PeerOf(*b.daemon, a.id());
    return at_a && at_b && at_a->connected && at_b->connected && at_a->inbound == !a_dials &&
           at_b->inbound == a_dials;
  };
  ASSERT_TRUE(WaitUntil(settled)) << "the two nodes did not settle on one link";
}

}  // namespace
}  // namespace kongsi::server
