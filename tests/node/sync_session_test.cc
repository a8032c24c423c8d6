// The replication state machine over in-memory links: invitations and
// joins, relaying, send-side permission checks, credit, resume and the
// protocol errors of DESIGN §7.
#include "node/sync_session.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "tests/node/sync_net.h"
#include "tests/node/test_cluster.h"

namespace kongsi::node {
namespace {

using testing::Int;
using testing::Link;
using testing::Str;
using testing::SyncNet;

class SyncSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = testing::OpenNodeAs(dir_.Sub("a"), testing::SeededIdentity(1, "alpha"));
    b_ = testing::OpenNodeAs(dir_.Sub("b"), testing::SeededIdentity(2, "beta"));
    c_ = testing::OpenNodeAs(dir_.Sub("c"), testing::SeededIdentity(3, "gamma"));
    ASSERT_TRUE(a_ && b_ && c_);
    for (Node* n : {a_.get(), b_.get(), c_.get()}) net_.Watch(*n);
    auto coll = a_->CreateCollection("budgets", "shared budget lines");
    ASSERT_TRUE(coll.ok()) << coll.status().ToString();
    coll_ = *coll;
    Commit(*a_, {testing::CreateDatasetOp("t", testing::TestSchema())});
  }

  void Commit(Node& n, std::vector<v1::Op> ops) {
    auto r = n.CommitOps(coll_, std::move(ops), "test");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  v1::Op Set(int64_t key, const std::string& a) { return testing::UpsertOp("t", {Int(key)}, {{"a", Str(a)}}); }
  void Grant(Node& by, const Node& to, v1::Role role) { Commit(by, {testing::GrantOp(to.identity().node_id(), role)}); }

  static size_t CommitsIn(const Link& l) {
    size_t n = 0;
    for (const auto& env : l.seen_by_b) n += env.has_commits() ? env.commits().commits_size() : 0;
    return n;
  }

  testing::TempDir dir_{"kongsi_sync"};
  std::unique_ptr<Node> a_, b_, c_;
  SyncNet net_;
  std::string coll_;
};

TEST_F(SyncSessionTest, AnInvitationWaitsForAJoinThenTheCollectionConverges) {
  Commit(*a_, {Set(1, "one"), Set(2, "two")});
  Grant(*a_, *b_, v1::ROLE_READER);
  Link& l = net_.Connect(*a_, *b_);
  net_.Run();

  EXPECT_FALSE(b_->Holds(coll_)) << "nothing arrives unasked";
  EXPECT_EQ(CommitsIn(l), 0u);
  auto invites = b_->Invites();
  ASSERT_EQ(invites.size(), 1u);
  EXPECT_EQ(invites[0].collection(), coll_);
  EXPECT_EQ(invites[0].name(), "budgets");
  EXPECT_EQ(invites[0].from(), a_->identity().node_id());

  auto joined = b_->Join("budgets");
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  net_.RefreshAll();
  net_.Run();
  ASSERT_TRUE(b_->Holds(coll_));
  EXPECT_TRUE(b_->Invites().empty());
  EXPECT_EQ(testing::DigestOf(*a_, coll_), testing::DigestOf(*b_, coll_));
  EXPECT_EQ(testing::ScanVisible(*b_, coll_, "t")["2"]["a"], "two");

  // Live: a new commit on A reaches B with no further call.
  Commit(*a_, {Set(3, "live")});
  net_.Run();
  EXPECT_EQ(testing::ScanVisible(*b_, coll_, "t")["3"]["a"], "live");
  EXPECT_EQ(l.at_a.Behind(coll_).value_or(99), 0u);
}

TEST_F(SyncSessionTest, AutoJoinFollowsTheInvitationAtOnce) {
  Grant(*a_, *b_, v1::ROLE_READER);
  SyncOptions auto_join;
  auto_join.auto_join = true;
  net_.Connect(*a_, *b_, {}, auto_join);
  net_.Run();
  EXPECT_EQ(testing::DigestOf(*a_, coll_), testing::DigestOf(*b_, coll_));
}

TEST_F(SyncSessionTest, APeerThatIsNotAReaderReceivesNothing) {
  Commit(*a_, {Set(1, "secret")});
  Link& l = net_.Connect(*a_, *c_);
  net_.Run();
  EXPECT_TRUE(c_->Invites().empty()) << "a non-member is not even told the collection exists";
  // Even asking explicitly (a hand-made Have) gets a refusal, not data.
  v1::Envelope have;
  have.mutable_have()->set_collection(coll_);
  l.at_a.OnFrame(have.SerializeAsString());
  net_.Run();
  EXPECT_EQ(CommitsIn(l), 0u);
  bool forbidden = false;
  for (const auto& env : l.seen_by_b) forbidden |= env.has_error() && env.error().code() == v1::Error::CODE_FORBIDDEN;
  EXPECT_TRUE(forbidden);
}

TEST_F(SyncSessionTest, ChangesRelayThroughAChainBothWays) {
  Grant(*a_, *b_, v1::ROLE_READER);
  Grant(*a_, *c_, v1::ROLE_WRITER);
  Commit(*a_, {Set(1, "from a")});
  SyncOptions auto_join;
  auto_join.auto_join = true;
  net_.Connect(*a_, *b_, {}, auto_join);
  net_.Connect(*b_, *c_, {}, auto_join);  // A and C never meet
  net_.Run();
  net_.RefreshAll();
  net_.Run();
  ASSERT_TRUE(c_->Holds(coll_));
  EXPECT_EQ(testing::ScanVisible(*c_, coll_, "t")["1"]["a"], "from a");

  Commit(*c_, {Set(2, "from c")});
  net_.Run();
  EXPECT_EQ(testing::ScanVisible(*a_, coll_, "t")["2"]["a"], "from c");
  std::string d = testing::DigestOf(*a_, coll_);
  EXPECT_EQ(d, testing::DigestOf(*b_, coll_));
  EXPECT_EQ(d, testing::DigestOf(*c_, coll_));
}

TEST_F(SyncSessionTest, AReconnectSendsOnlyTheMissingCommits) {
  Grant(*a_, *b_, v1::ROLE_READER);
  for (int i = 0; i < 20; ++i) Commit(*a_, {Set(i, "v" + std::to_string(i))});
  // B got the first half in an earlier session.
  auto all = testing::AllCommits(*a_, coll_);
  for (size_t i = 0; i < all.size() / 2; ++i) ASSERT_EQ(b_->Receive(all[i]).status, ReceiveStatus::kApplied);
  ASSERT_TRUE(b_->Join("budgets").ok());

  Link& l = net_.Connect(*a_, *b_);
  net_.Run();
  EXPECT_EQ(CommitsIn(l), all.size() - all.size() / 2);
  EXPECT_EQ(l.at_b.stats().commits_duplicate, 0u);
  EXPECT_EQ(testing::DigestOf(*a_, coll_), testing::DigestOf(*b_, coll_));
}

TEST_F(SyncSessionTest, ARevokedReaderGetsNothingMoreOnALiveLink) {
  Grant(*a_, *b_, v1::ROLE_READER);
  Grant(*a_, *c_, v1::ROLE_ADMIN);  // a second admin, so the revoke is allowed either way
  SyncOptions auto_join;
  auto_join.auto_join = true;
  Link& l = net_.Connect(*a_, *b_, {}, auto_join);
  net_.Run();
  ASSERT_TRUE(b_->Holds(coll_));
  size_t before = CommitsIn(l);
  Commit(*a_, {testing::RevokeOp(b_->identity().node_id())});
  Commit(*a_, {Set(9, "after the revoke")});
  net_.Run();
  EXPECT_EQ(CommitsIn(l), before) << "the revoke and everything after stay on A";
  EXPECT_EQ(testing::ScanVisible(*b_, coll_, "t").count("9"), 0u);
  // B is told why, once: later commits on A send no more Errors.
  ASSERT_EQ(l.at_b.stats().refused.count(coll_), 1u) << "B was not told";
  EXPECT_NE(l.at_b.stats().refused.at(coll_).find("not a reader"), std::string::npos);
  const uint64_t errors = l.at_b.stats().errors_received;
  Commit(*a_, {Set(10, "later")});
  net_.Run();
  EXPECT_EQ(l.at_b.stats().errors_received, errors);
}

TEST_F(SyncSessionTest, APeersErrorTextIsKeptPrintableAndShort) {
  Link& l = net_.Connect(*c_, *b_);
  net_.Run();
  v1::Envelope env;
  env.mutable_error()->set_code(v1::Error::CODE_FORBIDDEN);
  env.mutable_error()->set_message("evil\x1b[2J\r\nline" + std::string(2000, 'x'));
  env.mutable_error()->set_collection(coll_);  // not one B asked for
  l.at_b.OnFrame(env.SerializeAsString());
  const std::string& kept = l.at_b.stats().last_error_received;
  EXPECT_EQ(kept.substr(0, 13), "evil?[2J??lin");
  EXPECT_EQ(kept.size(), 1024u);
  EXPECT_TRUE(l.at_b.stats().refused.empty()) << "a refusal of a collection B never asked for";
  EXPECT_FALSE(l.b_out.closed);
}

TEST_F(SyncSessionTest, CommitsNotAskedForAreRefusedAndNotStored) {
  Commit(*a_, {Set(1, "x")});
  auto all = testing::AllCommits(*a_, coll_);
  Link& l = net_.Connect(*c_, *b_);
  net_.Run();
  v1::Envelope env;
  env.mutable_commits()->set_collection(coll_);
  for (const auto& bytes : all) ASSERT_TRUE(env.mutable_commits()->add_commits()->ParseFromString(bytes));
  l.at_b.OnFrame(env.SerializeAsString());
  EXPECT_FALSE(b_->Holds(coll_));
  ASSERT_FALSE(l.b_out.frames.empty());
  bool refused = false;
  for (const auto& f : l.b_out.frames) {
    v1::Envelope reply;
    ASSERT_TRUE(reply.ParseFromString(f));
    refused |= reply.has_error() && reply.error().code() == v1::Error::CODE_FORBIDDEN;
  }
  EXPECT_TRUE(refused);
  EXPECT_FALSE(l.b_out.closed) << "an unwanted commit is an error, not a protocol violation";
}

TEST_F(SyncSessionTest, ABadCommitIsReportedAndTheStreamGoesOn) {
  Grant(*a_, *b_, v1::ROLE_READER);
  SyncOptions auto_join;
  auto_join.auto_join = true;
  Link& l = net_.Connect(*a_, *b_, {}, auto_join);
  net_.Run();
  ASSERT_TRUE(b_->Holds(coll_));
  // Frames as a hostile A would send them: a commit by a non-member, one
  // with a broken signature, then an honest one.
  v1::SignedCommit outsider = c_->BuildCommit(coll_, b_->Version(coll_), {Set(2, "sneaky")}, "x");
  v1::SignedCommit forged = a_->BuildCommit(coll_, a_->Version(coll_), {Set(3, "forged")}, "x");
  forged.mutable_signature()->back() ^= 1;
  v1::Envelope env;
  env.mutable_commits()->set_collection(coll_);
  *env.mutable_commits()->add_commits() = outsider;
  *env.mutable_commits()->add_commits() = forged;
  l.b_out.frames.clear();
  l.at_b.OnFrame(env.SerializeAsString());
  EXPECT_FALSE(l.b_out.closed);
  EXPECT_EQ(l.at_b.stats().commits_rejected, 2u);
  int invalid = 0;
  for (const auto& f : l.b_out.frames) {
    v1::Envelope reply;
    ASSERT_TRUE(reply.ParseFromString(f));
    if (reply.has_error() && reply.error().code() == v1::Error::CODE_INVALID_COMMIT) {
      ++invalid;
      EXPECT_FALSE(reply.error().message().empty());
    }
  }
  EXPECT_EQ(invalid, 2);
  EXPECT_EQ(testing::ScanVisible(*b_, coll_, "t").count("2"), 0u);
  EXPECT_EQ(testing::ScanVisible(*b_, coll_, "t").count("3"), 0u);
  Commit(*a_, {Set(4, "honest")});
  net_.Run();
  EXPECT_EQ(testing::ScanVisible(*b_, coll_, "t")["4"]["a"], "honest");
}

TEST_F(SyncSessionTest, APeerThatGrantsNoCreditGetsNoMoreThanItsWindow) {
  Grant(*a_, *b_, v1::ROLE_READER);
  const std::string filler(1000, 'x');
  for (int c = 0; c < 12; ++c) {  // 12 commits of about 1 MB
    std::vector<v1::Op> ops;
    for (int i = 0; i < 1000; ++i) ops.push_back(Set(c * 1000 + i, filler));
    Commit(*a_, std::move(ops));
  }
  testing::Pipe out;
  SyncSession s(*a_, b_->identity().node_id(), {}, out);
  s.Start();
  v1::Envelope hello;
  hello.mutable_hello()->set_protocol_version(kProtocolVersion);
  hello.mutable_hello()->set_node_id(b_->identity().node_id());
  hello.mutable_hello()->set_initial_credit(kMaxCommitBytes);
  s.OnFrame(hello.SerializeAsString());
  v1::Envelope have;
  have.mutable_have()->set_collection(coll_);
  s.OnFrame(have.SerializeAsString());

  auto commit_bytes = [&] {
    uint64_t n = 0;
    for (const auto& f : out.frames) {
      v1::Envelope env;
      EXPECT_TRUE(env.ParseFromString(f));
      for (const auto& sc : env.commits().commits()) n += sc.ByteSizeLong();
    }
    return n;
  };
  uint64_t first = commit_bytes();
  EXPECT_GT(first, 0u);
  EXPECT_LE(first, kMaxCommitBytes) << "streamed beyond the credit the peer granted";
  EXPECT_EQ(s.stats().commits_sent < 14u, true);

  // Granting credit lets the rest through, and no more than the total.
  for (int i = 0; i < 4; ++i) {
    v1::Envelope credit;
    credit.mutable_credit()->set_bytes(kMaxCommitBytes);
    s.OnFrame(credit.SerializeAsString());
  }
  EXPECT_GT(commit_bytes(), first);
  EXPECT_EQ(s.stats().commits_sent, testing::AllCommits(*a_, coll_).size());
  EXPECT_FALSE(out.closed);
}

TEST_F(SyncSessionTest, ARandomMeshWithCutLinksConverges) {
  for (uint32_t seed : {7u, 11u, 23u}) {
    testing::TempDir dir("kongsi_mesh");
    std::vector<std::unique_ptr<Node>> nodes;
    for (uint8_t i = 0; i < 5; ++i) {
      nodes.push_back(testing::OpenNodeAs(dir.Sub("n" + std::to_string(i)),
                                          testing::SeededIdentity(10 + i, "n" + std::to_string(i))));
      ASSERT_TRUE(nodes.back());
    }
    SyncNet net;
    for (auto& n : nodes) net.Watch(*n);
    auto coll = nodes[0]->CreateCollection("mesh", "");
    ASSERT_TRUE(coll.ok());
    std::vector<v1::Op> setup = {testing::CreateDatasetOp("t", testing::TestSchema())};
    for (size_t i = 1; i < nodes.size(); ++i) setup.push_back(testing::GrantOp(nodes[i]->identity().node_id(), v1::ROLE_WRITER));
    ASSERT_TRUE(nodes[0]->CommitOps(*coll, setup, "setup").ok());
    SyncOptions auto_join;
    auto_join.auto_join = true;

    std::mt19937 rng(seed);
    std::map<std::pair<size_t, size_t>, Link*> links;
    auto connect = [&](size_t i, size_t j) { links[{i, j}] = &net.Connect(*nodes[i], *nodes[j], auto_join, auto_join); };
    connect(0, 1);
    connect(1, 2);
    connect(2, 3);
    connect(3, 4);
    net.Run();
    net.RefreshAll();
    net.Run();
    for (int step = 0; step < 120; ++step) {
      size_t who = rng() % nodes.size();
      if (rng() % 5 == 0) {  // cut or restore a random link
        size_t i = rng() % nodes.size(), j = rng() % nodes.size();
        if (i == j) continue;
        auto key = std::make_pair(std::min(i, j), std::max(i, j));
        auto it = links.find(key);
        if (it != links.end() && it->second->up) {
          net.Cut(*it->second);
        } else {
          connect(key.first, key.second);
        }
      } else if (nodes[who]->Holds(*coll)) {
        int64_t key = static_cast<int64_t>(rng() % 15);
        v1::Op op = rng() % 4 == 0 ? testing::DeleteOp("t", {Int(key)})
                                   : Set(key, "n" + std::to_string(who) + "s" + std::to_string(step));
        ASSERT_TRUE(nodes[who]->CommitOps(*coll, {op}, "").ok());
      }
      net.Run(static_cast<size_t>(rng() % 6));  // let only a few frames through
    }
    // Heal: a ring of fresh links, then let everything settle.
    for (size_t i = 0; i < nodes.size(); ++i) connect(i, (i + 1) % nodes.size());
    net.Run();
    net.RefreshAll();
    net.Run();
    std::string d0 = testing::DigestOf(*nodes[0], *coll);
    EXPECT_FALSE(testing::ScanVisible(*nodes[0], *coll, "t").empty());
    for (size_t i = 1; i < nodes.size(); ++i) {
      ASSERT_TRUE(nodes[i]->Holds(*coll)) << "seed " << seed << ", node " << i;
      EXPECT_EQ(nodes[i]->Version(*coll), nodes[0]->Version(*coll)) << "seed " << seed << ", node " << i;
      EXPECT_EQ(testing::DigestOf(*nodes[i], *coll), d0) << "seed " << seed << ", node " << i;
    }
  }
}

TEST_F(SyncSessionTest, ProtocolViolationsClose) {
  testing::Pipe out;
  {
    SyncSession s(*a_, b_->identity().node_id(), {}, out);
    s.Start();
    s.OnFrame("\xff\xff\xff garbage");
    EXPECT_TRUE(out.closed);
    EXPECT_EQ(out.code, kCloseProtocolError);
    EXPECT_NE(out.reason.find("does not decode"), std::string::npos) << out.reason;
  }
  {
    testing::Pipe o;
    SyncSession s(*a_, b_->identity().node_id(), {}, o);
    v1::Envelope ping;
    ping.mutable_ping()->set_nonce(1);
    s.OnFrame(ping.SerializeAsString());
    EXPECT_EQ(o.code, kCloseProtocolError);
    EXPECT_NE(o.reason.find("Hello"), std::string::npos) << o.reason;
  }
  {
    testing::Pipe o;
    SyncSession s(*a_, b_->identity().node_id(), {}, o);
    v1::Envelope hello;
    hello.mutable_hello()->set_protocol_version(kProtocolVersion);
    hello.mutable_hello()->set_node_id(c_->identity().node_id());  // not the certificate's
    hello.mutable_hello()->set_initial_credit(kInitialCreditBytes);
    s.OnFrame(hello.SerializeAsString());
    EXPECT_EQ(o.code, kClosePolicyViolation);
  }
}

}  // namespace
}  // namespace kongsi::node
