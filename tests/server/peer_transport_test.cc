// The peer transport end to end: real Nodes in temp dirs, each with its own
// Daemon, talking WebSocket over TLS 1.3 on 127.0.0.1; and a raw Beast
// client with its own identity for what a well-behaved node never sends.
// Every wait polls against a deadline and fails with a message.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
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
#include "tests/server/raw_peer.h"

namespace kongsi::server::testing {
namespace {

using node::testing::CreateDatasetOp;
using node::testing::GrantOp;
using node::testing::Int;
using node::testing::RevokeOp;
using node::testing::SeededIdentity;
using node::testing::Str;
using node::testing::TempDir;
using node::testing::TestSchema;
using node::testing::UpsertOp;
using std::chrono::seconds;


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

TEST(PeerTransportTest, ARevokedReaderIsToldWhyNothingMoreComesUntilGrantedAgain) {
  TestPeer a(1, "ngo-a"), b(2, "ngo-b");
  std::string coll = MakeCollection(a, {&b.identity});
  a.Serve();
  b.AddPeer(a, /*auto_join=*/true);
  b.Serve();
  ASSERT_TRUE(WaitUntil([&] { return SameVersion(a, b, coll); })) << "B did not catch up";
  auto refusal = [&]() -> std::string {  // B's record of A's refusal
    auto p = PeerOf(*b.daemon, a.id());
    return p && p->stats.refused.count(coll) ? p->stats.refused.at(coll) : "";
  };
  EXPECT_EQ(refusal(), "");

  // Revoked on the live link: B hears it once, and gets nothing more.
  ASSERT_TRUE(a.node->CommitOps(coll, {RevokeOp(b.id())}, "revoke").ok());
  AddRow(a, coll, 3);
  ASSERT_TRUE(WaitUntil([&] { return !refusal().empty(); })) << "B was never told";
  EXPECT_NE(refusal().find("not a reader of collection " + node::HexId(coll)), std::string::npos)
      << refusal();
  EXPECT_NE(a.node->Version(coll), b.node->Version(coll));
  EXPECT_TRUE(PeerOf(*b.daemon, a.id())->connected) << "a refusal is not a reason to drop the link";

  // Granted again: the commits flow and the refusal is gone.
  ASSERT_TRUE(a.node->CommitOps(coll, {GrantOp(b.id(), v1::ROLE_READER)}, "grant").ok());
  ASSERT_TRUE(WaitUntil([&] { return SameVersion(a, b, coll); }))
      << "B did not catch up after the grant";
  EXPECT_TRUE(WaitUntil([&] { return refusal().empty(); })) << refusal();
}

TEST(PeerTransportTest, NodesThatDialEachOtherKeepOneLink) {
  TestPeer a(1, "ngo-a"), b(2, "ngo-b");
  a.Serve();
  b.Serve();
  // Each learns of the other after start, from config.json: the daemons
  // follow the file without a restart.
  a.AddPeer(b);
  b.AddPeer(a);
  // Exactly one link, seen alike from both ends (inbound at one, outbound at
  // the other). Which one depends on who connected first: a dialer does not
  // dial a peer that is already connected, and only two links up at once
  // are settled by node ID (PeerLimitsTest covers that rule). Settled also
  // means no dial under way: one still in its handshake may yet win and
  // count a connect at both ends.
  auto settled = [&] {
    auto at_a = PeerOf(*a.daemon, b.id());
    auto at_b = PeerOf(*b.daemon, a.id());
    return at_a && at_b && at_a->connected && at_b->connected && at_a->inbound != at_b->inbound &&
           !at_a->dialing && !at_b->dialing;
  };
  ASSERT_TRUE(WaitUntil(settled)) << "the two nodes did not settle on one link";
  const uint64_t connects_a = PeerOf(*a.daemon, b.id())->connects;
  const uint64_t connects_b = PeerOf(*b.daemon, a.id())->connects;
  // Both dialers recheck every kConnectedRecheckInterval: over three of
  // them, neither may open another link nor drop the kept one.
  std::this_thread::sleep_for(3 * kConnectedRecheckInterval);
  EXPECT_TRUE(settled()) << "the kept link did not stay";
  EXPECT_EQ(PeerOf(*a.daemon, b.id())->connects, connects_a) << "A opened another link after settling";
  EXPECT_EQ(PeerOf(*b.daemon, a.id())->connects, connects_b) << "B opened another link after settling";
}

TEST(PeerTransportTest, ADialUnderWayIsShownUntilItFails) {
  // A listening socket nobody accepts on: the kernel completes the TCP
  // handshake, the TLS one never gets an answer, so the dial stays under way
  // until the socket closes (queued connections are reset).
  asio::io_context ioc;
  asio::ip::tcp::acceptor silent(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  const uint16_t silent_port = silent.local_endpoint().port();
  TestPeer b(2, "ngo-b");
  node::Identity absent = SeededIdentity(3, "ngo-c");
  b.AddPeerAt("wss://127.0.0.1:" + std::to_string(silent_port) + "/v1/sync", absent.node_id());
  b.Serve();
  auto dialing = [&] {
    auto p = PeerOf(*b.daemon, absent.node_id());
    return p && p->dialing;
  };
  ASSERT_TRUE(WaitUntil(dialing)) << "B's dial was never shown under way";
  auto p = PeerOf(*b.daemon, absent.node_id());
  EXPECT_FALSE(p->connected);
  EXPECT_EQ(p->next_dial_ms, 0u) << "a dial under way has no next try yet";

  silent.close();
  auto failed = [&] {
    auto q = PeerOf(*b.daemon, absent.node_id());
    return q && !q->dialing && q->next_dial_ms > 0;
  };
  ASSERT_TRUE(WaitUntil(failed)) << "B still shows a dial under way after it failed";
  p = PeerOf(*b.daemon, absent.node_id());
  EXPECT_FALSE(p->last_error.empty());
  EXPECT_EQ(p->connects, 0u);

  // Silent again on the same port; the peer is removed mid-dial: it is not
  // left "connecting" for good.
  asio::ip::tcp::acceptor again(ioc, {asio::ip::make_address("127.0.0.1"), silent_port});
  ASSERT_TRUE(WaitUntil(dialing)) << "B did not dial again";
  auto config = LoadConfig(b.data_dir());
  ASSERT_TRUE(config.ok());
  ASSERT_TRUE(RemovePeer(*config, node::NodeIdText(absent.node_id())).ok());
  ASSERT_TRUE(SaveConfig(b.data_dir(), *config).ok());
  auto removed = [&] {
    auto q = PeerOf(*b.daemon, absent.node_id());
    return q && !q->configured;
  };
  ASSERT_TRUE(WaitUntil(removed)) << "B did not follow config.json";
  EXPECT_FALSE(PeerOf(*b.daemon, absent.node_id())->dialing);
}

}  // namespace
}  // namespace kongsi::server::testing
