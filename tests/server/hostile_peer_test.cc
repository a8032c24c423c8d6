// A hostile peer against a real daemon: a RawPeer with its own node identity
// speaks the real protocol over TLS 1.3 WebSocket on 127.0.0.1 and sends
// what an honest node never would. For each case: rejected as DESIGN §7 says,
// reported to the sender (an Error frame naming the commit), counted, nothing
// stored (digest unchanged), and the link and an honest second node carry on
// (the honest node keeps converging: digests compared).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <string>
#include <vector>

#include "node/hlc.h"
#include "node/reader.h"
#include "tests/server/raw_peer.h"

namespace kongsi::server::testing {
namespace {

using node::testing::DigestOf;
using node::testing::GrantOp;
using node::testing::Int;
using node::testing::RevokeOp;
using node::testing::SeededIdentity;
using node::testing::Str;
using node::testing::UpsertOp;

// A commit signed by hand: any author key we hold, any seq, deps and ops.
// `deps` is taken as the author's view; its own entry is set to seq - 1.
v1::SignedCommit HandCommit(const std::string& coll, const node::Identity& author, uint64_t seq,
                            node::VersionVector deps, std::vector<v1::Op> ops, const std::string& note = "") {
  static std::atomic<uint64_t> counter{0};
  v1::Commit c;
  c.set_collection(coll);
  c.set_author(author.public_key());
  c.set_seq(seq);
  c.set_hlc((node::SystemNowMs() << 16) | (counter++ & 0xffff));
  deps.Set(author.public_key(), seq - 1);
  deps.ToProto(c.mutable_deps());
  for (auto& op : ops) *c.add_ops() = std::move(op);
  c.set_note(note);
  return node::SignCommit(c, author);
}

std::string RandomCollectionId(uint32_t n) {
  std::string id(16, '\x5a');
  for (int i = 0; i < 4; ++i) id[i] = static_cast<char>(n >> (8 * i));
  return id;
}

bool HasHaveFor(const Recording& r, const std::string& coll) {
  for (const auto& f : r.frames) {
    if (f.has_have() && f.have().collection() == coll) return true;
  }
  return false;
}

// A serving node A with collection coll_; an honest node B (reader, joined
// by auto_join, dialling A); the hostile peer's identity, reader and writer.
class HostilePeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    coll_ = MakeCollection(a_, {&b_.identity, &hostile_});
    ASSERT_TRUE(a_.node->CommitOps(coll_, {GrantOp(hostile_.node_id(), v1::ROLE_WRITER)}, "hostile writes").ok());
    a_.Serve();
    b_.AddPeer(a_, /*auto_join=*/true);
    b_.Serve();
    ASSERT_TRUE(WaitUntil([&] { return SameVersion(a_, b_, coll_); })) << "B did not catch up with A";
  }

  // Connects a raw peer as `who`, says Hello and asks for coll_; returns
  // once A announced coll_ to it (then A accepts its commits of coll_).
  std::unique_ptr<RawPeer> Subscribe(const node::Identity& who) {
    auto raw = std::make_unique<RawPeer>(who);
    EXPECT_FALSE(raw->Connect(a_.daemon->peer_port()));
    raw->StartRecording();
    EXPECT_FALSE(raw->SendHello());
    EXPECT_FALSE(raw->SendHave(coll_));
    EXPECT_TRUE(raw->WaitFor([&](const Recording& r) { return HasHaveFor(r, coll_); })) << "A never announced";
    return raw;
  }

  // Sends `sc` and waits for the Error A reports about (author, seq).
  v1::Error SendAndExpectError(RawPeer& raw, const v1::SignedCommit& sc, const std::string& author, uint64_t seq) {
    EXPECT_FALSE(raw.SendCommits(coll_, {sc}));
    std::optional<v1::Error> found;
    bool got = raw.WaitFor([&](const Recording& r) {
      for (const auto& e : r.Errors()) {
        if (e.author() == author && e.seq() == seq) found = e;
      }
      return found.has_value();
    });
    EXPECT_TRUE(got) << "A reported nothing about seq " << seq;
    return found.value_or(v1::Error());
  }

  // The link still answers (and, frames being handled in order, A is done
  // with everything sent before).
  void ExpectLinkAlive(RawPeer& raw) {
    const uint64_t nonce = ++nonce_;
    ASSERT_FALSE(raw.SendPing(nonce));
    EXPECT_TRUE(raw.WaitFor([&](const Recording& r) { return r.Pongs(nonce) == 1; })) << "the link stopped";
    EXPECT_FALSE(raw.recording().ended);
  }

  // The link still answers, and a new commit on A still reaches B.
  void ExpectLinkAndHonestPeerCarryOn(RawPeer& raw) {
    ExpectLinkAlive(raw);
    AddRow(a_, coll_, 100 + static_cast<int64_t>(nonce_));
    ASSERT_TRUE(WaitUntil([&] { return SameVersion(a_, b_, coll_); })) << "B stopped converging";
    EXPECT_EQ(DigestOf(*a_.node, coll_), DigestOf(*b_.node, coll_));
  }

  std::vector<v1::Op> Row(int64_t key, const std::string& text) {
    return {UpsertOp("t", {Int(key)}, {{"a", Str(text)}})};
  }

  TestPeer a_{1, "ngo-a"}, b_{2, "ngo-b"};
  node::Identity hostile_ = SeededIdentity(7, "hostile");
  std::string coll_;
  uint64_t nonce_ = 0;
};

TEST_F(HostilePeerTest, NonReaderReceivesNothingOfTheCollectionWhileAReaderDoes) {
  // The outsider may connect (it reads another collection of A's) but is
  // no reader of coll_.
  node::Identity outsider = SeededIdentity(9, "outsider");
  auto other = a_.node->CreateCollection("other", "");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(a_.node->CommitOps(*other, {GrantOp(outsider.node_id(), v1::ROLE_READER)}, "").ok());
  RawPeer nosy(outsider);
  ASSERT_FALSE(nosy.Connect(a_.daemon->peer_port()));
  nosy.StartRecording();
  ASSERT_FALSE(nosy.SendHello());
  ASSERT_FALSE(nosy.SendHave(coll_));
  ASSERT_TRUE(nosy.WaitFor([&](const Recording& r) {
    for (const auto& e : r.Errors()) {
      if (e.code() == v1::Error::CODE_FORBIDDEN && e.collection() == coll_) return true;
    }
    return false;
  })) << "A did not refuse the outsider's Have";
  auto reader = Subscribe(hostile_);

  AddRow(a_, coll_, 3);  // live, while both listen
  const uint64_t latest = a_.node->Version(coll_).Get(a_.identity.public_key());
  ASSERT_TRUE(reader->WaitFor([&](const Recording& r) {
    for (const auto& [author, seq] : r.CommitsOf(coll_)) {
      if (author == a_.identity.public_key() && seq == latest) return true;
    }
    return false;
  })) << "the reader did not get the live commit";
  Recording seen = nosy.recording();
  EXPECT_TRUE(seen.CommitsOf(coll_).empty()) << "a non-reader received commits";
  EXPECT_FALSE(HasHaveFor(seen, coll_)) << "a non-reader was told the collection's version";
  EXPECT_FALSE(seen.ended);
}

TEST_F(HostilePeerTest, RevokedReaderGetsNothingAppliedAfterTheRevocation) {
  node::Identity stays = SeededIdentity(8, "stays");
  ASSERT_TRUE(a_.node->CommitOps(coll_, {GrantOp(stays.node_id(), v1::ROLE_READER)}, "").ok());
  auto revoked = Subscribe(hostile_);
  auto reader = Subscribe(stays);
  const std::string a_key = a_.identity.public_key();
  auto got_seq = [&](uint64_t want) {
    return [&, want](const Recording& r) {
      for (const auto& [author, seq] : r.CommitsOf(coll_)) {
        if (author == a_key && seq == want) return true;
      }
      return false;
    };
  };
  const uint64_t before = a_.node->Version(coll_).Get(a_key);
  ASSERT_TRUE(revoked->WaitFor(got_seq(before))) << "the link did not work before the revocation";

  ASSERT_TRUE(a_.node->CommitOps(coll_, {RevokeOp(hostile_.node_id())}, "out").ok());
  const uint64_t revocation = a_.node->Version(coll_).Get(a_key);
  AddRow(a_, coll_, 3);
  AddRow(a_, coll_, 4);
  ASSERT_TRUE(reader->WaitFor(got_seq(revocation + 2))) << "the remaining reader missed commits";
  for (const auto& [author, seq] : revoked->recording().CommitsOf(coll_)) {
    EXPECT_FALSE(author == a_key && seq >= revocation) << "the revoked reader got A's commit " << seq;
  }
}

TEST_F(HostilePeerTest, ForgedSignaturesAreRejectedAndReported) {
  auto raw = Subscribe(hostile_);
  const std::string digest = DigestOf(*a_.node, coll_);
  const uint64_t rejected = a_.node->counters().commits_rejected;
  // A flipped bit in a signature of its own commit.
  v1::SignedCommit flipped = HandCommit(coll_, hostile_, 1, a_.node->Version(coll_), Row(50, "x"));
  flipped.mutable_signature()->at(5) ^= 0x01;
  v1::Error e = SendAndExpectError(*raw, flipped, hostile_.public_key(), 1);
  EXPECT_EQ(e.code(), v1::Error::CODE_INVALID_COMMIT);
  EXPECT_NE(e.message().find("signature"), std::string::npos) << e.message();
  // A commit in A's name, signed with the hostile key.
  v1::Commit c;
  ASSERT_TRUE(c.ParseFromString(flipped.commit()));
  c.set_author(a_.identity.public_key());
  c.set_seq(a_.node->Version(coll_).Get(a_.identity.public_key()) + 1);
  v1::SignedCommit impersonated;
  impersonated.set_commit(c.SerializeAsString());
  impersonated.set_signature(hostile_.Sign(impersonated.commit()));
  e = SendAndExpectError(*raw, impersonated, a_.identity.public_key(), c.seq());
  EXPECT_EQ(e.code(), v1::Error::CODE_INVALID_COMMIT);

  EXPECT_EQ(a_.node->counters().commits_rejected, rejected + 2);
  EXPECT_EQ(DigestOf(*a_.node, coll_), digest);
  EXPECT_EQ(a_.node->Version(coll_).Get(hostile_.public_key()), 0u);
  ExpectLinkAndHonestPeerCarryOn(*raw);
}

TEST_F(HostilePeerTest, EquivocationKeepsTheFirstAndRaisesTheAlarm) {
  auto raw = Subscribe(hostile_);
  v1::SignedCommit first = HandCommit(coll_, hostile_, 1, a_.node->Version(coll_), Row(60, "first"));
  ASSERT_FALSE(raw->SendCommits(coll_, {first}));
  ASSERT_TRUE(WaitUntil([&] { return a_.node->Version(coll_).Get(hostile_.public_key()) == 1; }));
  const std::string digest = DigestOf(*a_.node, coll_);

  v1::SignedCommit second = HandCommit(coll_, hostile_, 1, a_.node->Version(coll_), Row(60, "second"));
  v1::Error e = SendAndExpectError(*raw, second, hostile_.public_key(), 1);
  EXPECT_EQ(e.code(), v1::Error::CODE_EQUIVOCATION);
  EXPECT_EQ(a_.node->counters().equivocations, 1u);
  ASSERT_EQ(a_.node->Alarms().size(), 1u);
  EXPECT_NE(a_.node->Alarms()[0].find("equivocation"), std::string::npos);
  EXPECT_EQ(DigestOf(*a_.node, coll_), digest);
  auto kept = a_.node->GetCommit(coll_, hostile_.public_key(), 1);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->signed_(), first.SerializeAsString());
  ExpectLinkAndHonestPeerCarryOn(*raw);
  auto at_b = b_.node->GetCommit(coll_, hostile_.public_key(), 1);  // relayed by A: the first
  ASSERT_TRUE(at_b.ok());
  EXPECT_EQ(at_b->signed_(), first.SerializeAsString());
}

TEST_F(HostilePeerTest, SeqGapsThatNeverFillStopAtTheBoundedPendingSet) {
  auto raw = Subscribe(hostile_);
  const std::string digest = DigestOf(*a_.node, coll_);
  const node::NodeCounters before = a_.node->counters();
  // seq 2, 3, ... with seq 1 never sent: each waits; the set is full at
  // kMaxPendingCommits, and the next is refused.
  const uint64_t last = node::kMaxPendingCommits + 2;
  std::vector<v1::SignedCommit> batch;
  for (uint64_t seq = 2; seq <= last; ++seq) {
    batch.push_back(HandCommit(coll_, hostile_, seq, a_.node->Version(coll_), Row(70, "gap")));
    if (batch.size() == 512 || seq == last - 1) {
      ASSERT_FALSE(raw->SendCommits(coll_, batch));
      batch.clear();
    }
  }
  // Each pending commit is one write here (node.cc) after its signature
  // check: 4096 of them took 20-30 s on a loaded two-core machine, hence
  // the long deadline.
  ASSERT_TRUE(WaitUntil([&] { return a_.node->counters().commits_pending == before.commits_pending +
                                         node::kMaxPendingCommits; },
                        std::chrono::seconds(90)))
      << "pending: " << a_.node->counters().commits_pending;
  v1::Error e = SendAndExpectError(*raw, batch.back(), hostile_.public_key(), last);
  EXPECT_EQ(e.code(), v1::Error::CODE_INVALID_COMMIT);
  EXPECT_NE(e.message().find("pending set full"), std::string::npos) << e.message();
  EXPECT_EQ(a_.node->counters().commits_rejected, before.commits_rejected + 1);
  EXPECT_EQ(DigestOf(*a_.node, coll_), digest);
  EXPECT_EQ(a_.node->Version(coll_).Get(hostile_.public_key()), 0u);
  ExpectLinkAndHonestPeerCarryOn(*raw);
}

TEST_F(HostilePeerTest, ReplaysAreDroppedAsDuplicates) {
  auto raw = Subscribe(hostile_);
  const std::string digest = DigestOf(*a_.node, coll_);
  const node::NodeCounters before = a_.node->counters();
  std::vector<v1::SignedCommit> replay;
  for (const auto& bytes : node::testing::AllCommits(*a_.node, coll_)) {
    ASSERT_TRUE(replay.emplace_back().ParseFromString(bytes));
  }
  ASSERT_FALSE(raw->SendCommits(coll_, replay));
  ExpectLinkAlive(*raw);
  EXPECT_EQ(a_.node->counters().commits_duplicate, before.commits_duplicate + replay.size());
  EXPECT_EQ(a_.node->counters().commits_rejected, before.commits_rejected);
  EXPECT_EQ(a_.node->counters().commits_applied, before.commits_applied);
  EXPECT_TRUE(raw->recording().Errors().empty()) << raw->recording().Errors()[0].message();
  EXPECT_EQ(DigestOf(*a_.node, coll_), digest);
  ExpectLinkAndHonestPeerCarryOn(*raw);
}

TEST_F(HostilePeerTest, CommitsForAnUnknownCollectionAreRefused) {
  auto raw = Subscribe(hostile_);
  const std::string digest = DigestOf(*a_.node, coll_);
  const std::string unknown = RandomCollectionId(1);
  v1::SignedCommit sc = HandCommit(unknown, hostile_, 2, {}, Row(80, "x"));
  // In a Commits frame of a collection A never asked for...
  v1::Envelope env;
  env.mutable_commits()->set_collection(unknown);
  *env.mutable_commits()->add_commits() = sc;
  ASSERT_FALSE(raw->Send(env));
  ASSERT_TRUE(raw->WaitFor([&](const Recording& r) {
    for (const auto& e : r.Errors()) {
      if (e.code() == v1::Error::CODE_FORBIDDEN && e.collection() == unknown) return true;
    }
    return false;
  })) << "A did not refuse commits it never asked for";
  // ...and smuggled into a frame of coll_.
  v1::Error e = SendAndExpectError(*raw, sc, hostile_.public_key(), 2);
  EXPECT_EQ(e.code(), v1::Error::CODE_INVALID_COMMIT);
  EXPECT_NE(e.message().find("belongs to collection"), std::string::npos) << e.message();
  EXPECT_FALSE(a_.node->Holds(unknown));
  EXPECT_EQ(DigestOf(*a_.node, coll_), digest);
  // The link's stats reach the registry after the Error frame goes out.
  uint64_t rejected = 0;
  EXPECT_TRUE(WaitUntil([&] {
    auto seen = PeerOf(*a_.daemon, hostile_.node_id());
    rejected = seen ? seen->stats.commits_rejected : 0;
    return rejected >= 2;
  }));
  EXPECT_EQ(rejected, 2u);
  ExpectLinkAndHonestPeerCarryOn(*raw);
}

TEST_F(HostilePeerTest, CommitsOfNonMembersAndRevokedMembersAreRejected) {
  node::Identity stranger = SeededIdentity(9, "stranger");
  node::Identity former = SeededIdentity(10, "former");
  ASSERT_TRUE(a_.node->CommitOps(coll_, {GrantOp(former.node_id(), v1::ROLE_WRITER)}, "").ok());
  ASSERT_TRUE(a_.node->CommitOps(coll_, {RevokeOp(former.node_id())}, "").ok());
  auto raw = Subscribe(hostile_);
  const std::string digest = DigestOf(*a_.node, coll_);
  const uint64_t rejected = a_.node->counters().commits_rejected;
  // The hostile peer relays commits others signed, made on A's current
  // version (so after the revocation).
  v1::Error e = SendAndExpectError(
      *raw, HandCommit(coll_, stranger, 1, a_.node->Version(coll_), Row(90, "x")), stranger.public_key(), 1);
  EXPECT_EQ(e.code(), v1::Error::CODE_INVALID_COMMIT);
  EXPECT_NE(e.message().find("needs writer"), std::string::npos) << e.message();
  e = SendAndExpectError(*raw, HandCommit(coll_, former, 1, a_.node->Version(coll_), Row(91, "x")),
                         former.public_key(), 1);
  EXPECT_EQ(e.code(), v1::Error::CODE_INVALID_COMMIT);
  EXPECT_NE(e.message().find("needs writer"), std::string::npos) << e.message();

  EXPECT_EQ(a_.node->counters().commits_rejected, rejected + 2);
  EXPECT_EQ(DigestOf(*a_.node, coll_), digest);
  EXPECT_FALSE(a_.node->GetCommit(coll_, stranger.public_key(), 1).ok());
  EXPECT_FALSE(a_.node->GetCommit(coll_, former.public_key(), 1).ok());
  ExpectLinkAndHonestPeerCarryOn(*raw);
}

TEST_F(HostilePeerTest, SchemaViolatingOpsAreRejected) {
  auto raw = Subscribe(hostile_);
  const std::string digest = DigestOf(*a_.node, coll_);
  const uint64_t rejected = a_.node->counters().commits_rejected;
  // Key "id" is an integer in TestSchema: a string key breaks it.
  std::vector<v1::Op> ops = {UpsertOp("t", {Int(95)}, {{"a", Str("fine")}}),
                             UpsertOp("t", {Str("not a number")}, {{"a", Str("x")}})};
  v1::Error e = SendAndExpectError(*raw, HandCommit(coll_, hostile_, 1, a_.node->Version(coll_), std::move(ops)),
                                   hostile_.public_key(), 1);
  EXPECT_EQ(e.code(), v1::Error::CODE_INVALID_COMMIT);
  EXPECT_NE(e.message().find("op 2 (Upsert)"), std::string::npos) << e.message();
  EXPECT_EQ(a_.node->counters().commits_rejected, rejected + 1);
  EXPECT_EQ(DigestOf(*a_.node, coll_), digest);  // not even the valid first op
  ExpectLinkAndHonestPeerCarryOn(*raw);
}

TEST_F(HostilePeerTest, HaveFloodsCostNoResendsAndAreCappedPerSession) {
  auto raw = Subscribe(hostile_);
  // The same Have again and again: each merges a VV; nothing is sent twice.
  for (int i = 0; i < 2000; ++i) ASSERT_FALSE(raw->SendHave(coll_));
  ExpectLinkAndHonestPeerCarryOn(*raw);
  const size_t held = node::testing::AllCommits(*a_.node, coll_).size();
  ASSERT_TRUE(raw->WaitFor([&](const Recording& r) { return r.CommitsOf(coll_).size() >= held; }));
  auto got = raw->recording().CommitsOf(coll_);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(std::adjacent_find(got.begin(), got.end()), got.end()) << "a commit was sent twice";
  EXPECT_EQ(got.size(), held);
  // Haves for ever more collections: each would be an invitation here.
  for (uint32_t n = 0; n < node::kMaxPeerCollections + 10; ++n) {
    if (raw->SendHave(RandomCollectionId(n))) break;  // closed: fine
  }
  ASSERT_TRUE(raw->WaitFor([](const Recording& r) { return r.ended; })) << "the flood was not cut";
  EXPECT_EQ(raw->recording().close_code, node::kClosePolicyViolation);
  EXPECT_NE(raw->recording().close_reason.find("collections"), std::string::npos) << raw->recording().close_reason;
  EXPECT_LE(a_.node->Invites().size(), node::kMaxPeerCollections);
  AddRow(a_, coll_, 7);
  ASSERT_TRUE(WaitUntil([&] { return SameVersion(a_, b_, coll_); })) << "B stopped converging";
}

TEST_F(HostilePeerTest, FramesAtTheSizeLimitPassAndOneByteMoreCloses1009) {
  // Garbage and 17 MiB frames: PeerTransportTest / RawClientTest. Here the
  // edge, and the honest peer after it.
  auto raw = Subscribe(hostile_);
  v1::Envelope have;
  have.mutable_have()->set_collection(coll_);
  have.mutable_have()->set_name(std::string(node::kMaxFrameBytes - 64, 'n'));
  std::string frame = have.SerializeAsString();
  const size_t overhead = frame.size() - have.have().name().size();
  have.mutable_have()->set_name(std::string(node::kMaxFrameBytes - overhead, 'n'));
  frame = have.SerializeAsString();
  ASSERT_EQ(frame.size(), node::kMaxFrameBytes);
  ASSERT_FALSE(raw->WriteMessage(frame));
  ExpectLinkAndHonestPeerCarryOn(*raw);
  ASSERT_FALSE(raw->WriteMessage(frame + "x"));
  ASSERT_TRUE(raw->WaitFor([](const Recording& r) { return r.ended; })) << "the big frame was not refused";
  EXPECT_EQ(raw->recording().close_code, node::kCloseTooBig);
  AddRow(a_, coll_, 8);
  ASSERT_TRUE(WaitUntil([&] { return SameVersion(a_, b_, coll_); })) << "B stopped converging";
}

// Limits that take 64 MiB or 10 s to reach by default, lowered.
class ConnectionLimitTest : public ::testing::Test {
 protected:
  TestPeer a_{1, "ngo-a"};
  node::Identity reader_ = SeededIdentity(7, "reader");
  node::Identity other_reader_ = SeededIdentity(8, "other reader");
};

TEST_F(ConnectionLimitTest, APeerThatNeverReadsIsDroppedAtTheSendQueueLimit) {
  std::string coll = MakeCollection(a_, {&reader_, &other_reader_});
  // About 12 MiB of commits, far past the 1 MiB queue limit below plus the
  // kernel's socket buffers.
  for (int c = 0; c < 48; ++c) {
    std::vector<v1::Op> ops;
    for (int i = 0; i < 256; ++i) {
      ops.push_back(UpsertOp("t", {Int(c * 256 + i)}, {{"a", Str(std::string(1000, 'x'))}}));
    }
    ASSERT_TRUE(a_.node->CommitOps(coll, std::move(ops), "bulk").ok());
  }
  LimitedListener listener(*a_.node, ConnectionLimits{kHandshakeTimeout, 1u << 20});
  RawPeer stalled(reader_);
  stalled.ShrinkReceiveBuffer(4096);
  ASSERT_FALSE(stalled.Connect(listener.port()));
  ASSERT_FALSE(stalled.SendHello(64u << 20));  // credit for it all
  ASSERT_FALSE(stalled.SendHave(coll));
  // It never reads. The daemon gives up on it rather than queue on.
  auto dropped = [&] {
    for (const auto& p : listener.registry().Snapshot()) {
      if (p.node_id == reader_.node_id() && !p.connected && p.last_error.find("not reading") != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(WaitUntil(dropped)) << "the daemon kept queuing for a peer that does not read";
  // The daemon still serves others. (Not the whole collection: with the
  // queue limit lowered below the credit an honest node grants, a burst
  // would trip it too.)
  RawPeer other(other_reader_);
  ASSERT_FALSE(other.Connect(listener.port()));
  other.StartRecording();
  ASSERT_FALSE(other.SendHello());
  ASSERT_FALSE(other.SendPing(42));
  EXPECT_TRUE(other.WaitFor([&](const Recording& r) { return HasHaveFor(r, coll) && r.Pongs(42) == 1; }));
}

TEST_F(ConnectionLimitTest, AHandshakeNeverFinishedIsClosedAtTheTimeout) {
  MakeCollection(a_, {&reader_});
  LimitedListener listener(*a_.node, ConnectionLimits{std::chrono::milliseconds(300), kMaxSendQueueBytes});
  asio::io_context ioc;
  // One connection says nothing; one stops half-way through a TLS record.
  asio::ip::tcp::socket silent(ioc), halfway(ioc);
  const asio::ip::tcp::endpoint at(asio::ip::address_v4::loopback(), listener.port());
  silent.connect(at);
  halfway.connect(at);
  asio::write(halfway, asio::buffer(std::string("\x16\x03\x01\x02\x00", 5)));  // a 512-byte record: 0 follow
  for (auto* s : {&silent, &halfway}) {
    char byte;
    boost::system::error_code ec;
    auto read = std::async(std::launch::async, [&] { s->read_some(asio::buffer(&byte, 1), ec); });
    // Well before the default kHandshakeTimeout (10 s).
    bool closed = read.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    boost::system::error_code ignored;
    if (!closed) s->shutdown(asio::socket_base::shutdown_both, ignored);  // ends the read: the test ends
    read.wait();
    EXPECT_TRUE(closed) << "the server never closed a connection stuck in its handshake";
    EXPECT_TRUE(ec) << "the server sent something";
  }
  // The listener still serves a well-behaved peer.
  RawPeer reader(reader_);
  EXPECT_FALSE(reader.Connect(listener.port()));
}

}  // namespace
}  // namespace kongsi::server::testing
