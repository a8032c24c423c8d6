// Revocation cuts, strong removal and retroactive invalidation (DESIGN §6),
// on real nodes (RocksDB in temp dirs) exchanging signed commits in memory.
// Each scenario is played in several delivery orders: the verdicts, the
// visible data and the state digest must not depend on the order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "node/exporter.h"
#include "tests/node/test_cluster.h"

namespace kongsi::node {
namespace {

using ::testing::HasSubstr;
using namespace kongsi::node::testing;

struct CommitId {
  std::string author;
  uint64_t seq = 0;
};

CommitId IdOf(const std::string& signed_bytes) {
  v1::SignedCommit sc;
  v1::Commit c;
  EXPECT_TRUE(sc.ParseFromString(signed_bytes) && c.ParseFromString(sc.commit()));
  return {c.author(), c.seq()};
}

bool Stored(ReceiveStatus s) {
  return s == ReceiveStatus::kApplied || s == ReceiveStatus::kInvalid;
}

// Every interleaving of `a` and `b` that keeps each one's own order.
std::vector<std::vector<std::string>> Interleavings(const std::vector<std::string>& a,
                                                    const std::vector<std::string>& b) {
  if (a.empty()) return {b};
  if (b.empty()) return {a};
  std::vector<std::vector<std::string>> out;
  for (auto rest : Interleavings({a.begin() + 1, a.end()}, b)) {
    rest.insert(rest.begin(), a.front());
    out.push_back(std::move(rest));
  }
  for (auto rest : Interleavings(a, {b.begin() + 1, b.end()})) {
    rest.insert(rest.begin(), b.front());
    out.push_back(std::move(rest));
  }
  return out;
}

class AclCutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    root_ = OpenNodeAs(dir_.Sub("root"), root_id_);
    admin2_ = OpenNodeAs(dir_.Sub("admin2"), admin2_id_);
    writer_ = OpenNodeAs(dir_.Sub("writer"), writer_id_);
    other_ = OpenNodeAs(dir_.Sub("other"), other_id_);
    ASSERT_TRUE(root_ && admin2_ && writer_ && other_);
    auto coll = root_->CreateCollection("coalition", "cut tests");
    ASSERT_TRUE(coll.ok()) << coll.status().ToString();
    coll_ = *coll;
    ASSERT_TRUE(root_
                    ->CommitOps(coll_,
                                {CreateDatasetOp("t", TestSchema()),
                                 GrantOp(admin2_id_.node_id(), v1::ROLE_ADMIN),
                                 GrantOp(writer_id_.node_id(), v1::ROLE_WRITER)},
                                "setup")
                    .ok());
    for (Node* n : {admin2_.get(), writer_.get(), other_.get()})
      ASSERT_TRUE(SyncInto(*root_, *n, coll_));
  }

  // A commit by `node` on what it has seen, applied there first.
  std::string Make(Node& node, std::vector<v1::Op> ops) {
    std::string bytes =
        Serialized(node.BuildCommit(coll_, node.Version(coll_), std::move(ops), "test"));
    ReceiveOutcome out = node.Receive(bytes);
    EXPECT_EQ(out.status, ReceiveStatus::kApplied) << out.reason;
    return bytes;
  }

  static void Deliver(Node& to, const std::vector<std::string>& commits) {
    for (const auto& c : commits) {
      ReceiveOutcome out = to.Receive(c);
      EXPECT_TRUE(Stored(out.status) || out.status == ReceiveStatus::kDuplicate ||
                  out.status == ReceiveStatus::kPending)
          << ReceiveStatusName(out.status) << ": " << out.reason;
    }
  }

  // A node that has never seen the collection, fed `base` in order.
  std::unique_ptr<Node> Fresh(const std::vector<std::string>& base) {
    auto node = InitNode(dir_.Sub("fresh" + std::to_string(fresh_++)), "fresh");
    if (node) Deliver(*node, base);
    return node;
  }

  v1::StoredCommit StoredOf(const Node& node, const std::string& bytes) {
    CommitId id = IdOf(bytes);
    auto stored = node.GetCommit(coll_, id.author, id.seq);
    EXPECT_TRUE(stored.ok()) << stored.status().ToString();
    return stored.ok() ? *stored : v1::StoredCommit();
  }
  bool Valid(const Node& node, const std::string& bytes) { return StoredOf(node, bytes).valid(); }

  std::string Csv(const Node& node) {
    Reader reader(node, coll_);
    std::ostringstream out;
    Status s = ExportDataset(reader, "t", ExportFormat::kCsv, nullptr, /*provenance=*/true, out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out.str();
  }

  v1::Op Set(int64_t key, const std::string& a) {
    return UpsertOp("t", {Int(key)}, {{"a", Str(a)}});
  }
  v1::Op TagOp(const std::string& name, const Node& on) {
    v1::Op op;
    op.mutable_tag()->set_name(name);
    *op.mutable_tag()->mutable_vv() = on.Version(coll_).ToProto();
    return op;
  }
  // Who set tag `name` as `node` sees it, or "" when there is no such tag.
  std::string TagAuthor(const Node& node, const std::string& name) {
    Reader reader(node, coll_);
    for (const auto& t : reader.Tags()) {
      if (t.name() == name) return t.by().author();
    }
    return "";
  }
  bool HasDataset(const Node& node, const std::string& name) {
    Reader reader(node, coll_);
    return reader.cache().datasets.count(name) > 0;
  }

  TempDir dir_{"kongsi_aclcut"};
  Identity root_id_ = SeededIdentity(31, "root");
  Identity admin2_id_ = SeededIdentity(32, "admin2");
  Identity writer_id_ = SeededIdentity(33, "writer");
  Identity other_id_ = SeededIdentity(34, "other");
  std::unique_ptr<Node> root_, admin2_, writer_, other_;
  std::string coll_;
  int fresh_ = 0;
};

// (1) The root revokes the writer while the writer, partitioned, keeps
// writing: an overwrite, a new record, a delete, a tag and a dataset. Its
// cut commits are invalid on every node whatever the order, and nothing of
// them shows: cells and the tag fall back to what still counts.
TEST_F(AclCutTest, ARevokeCutsWhatThePartitionedWriterWroteInEveryOrder) {
  std::string w0 = Make(*writer_, {Set(1, "w0"), Set(2, "keep")});
  ASSERT_EQ(root_->Receive(w0).status, ReceiveStatus::kApplied);
  ASSERT_TRUE(root_->CommitOps(coll_, {TagOp("release", *root_)}, "tag").ok());
  const std::vector<std::string> base = AllCommits(*root_, coll_);
  Deliver(*writer_, base);
  // Partition.
  std::string w1 = Make(*writer_, {Set(1, "w1 cut"), TagOp("release", *writer_)});
  std::string w2 = Make(*writer_, {Set(3, "w2 cut"), DeleteOp("t", {Int(2)}),
                                   CreateDatasetOp("made_while_cut", TestSchema())});
  std::string a1 = Make(*root_, {Set(4, "a1")});
  std::string r = Make(*root_, {RevokeOp(writer_id_.node_id())});
  const VisibleTable expected = {
      {"1", {{"a", "w0"}}}, {"2", {{"a", "keep"}}}, {"4", {{"a", "a1"}}}};

  // The writer saw its own commits as valid until the revoke arrived.
  EXPECT_EQ(ScanVisible(*writer_, coll_, "t")["1"]["a"], "w1 cut");
  EXPECT_EQ(TagAuthor(*writer_, "release"), writer_id_.public_key());
  EXPECT_TRUE(HasDataset(*writer_, "made_while_cut"));
  Deliver(*writer_, {a1, r});
  // The root receives them after the revoke: stored, invalid, said so.
  ReceiveOutcome out = root_->Receive(w1);
  EXPECT_EQ(out.status, ReceiveStatus::kInvalid) << out.reason;
  EXPECT_THAT(out.reason, HasSubstr("cut by the revocation"));
  ASSERT_EQ(out.applied.size(), 1u);
  EXPECT_FALSE(out.applied[0].valid);
  EXPECT_EQ(root_->Receive(w2).status, ReceiveStatus::kInvalid);
  EXPECT_EQ(root_->Version(coll_).Get(writer_id_.public_key()), 3u)
      << "invalid commits are in the log";

  const std::string digest = DigestOf(*root_, coll_);
  for (Node* n : {root_.get(), writer_.get()}) {
    EXPECT_EQ(ScanVisible(*n, coll_, "t"), expected);
    EXPECT_EQ(DigestOf(*n, coll_), digest);
    EXPECT_TRUE(Valid(*n, w0));
    EXPECT_FALSE(Valid(*n, w1));
    EXPECT_FALSE(Valid(*n, w2));
    EXPECT_THAT(StoredOf(*n, w1).invalid_reason(), HasSubstr("cut by the revocation"));
    EXPECT_THAT(Csv(*n), ::testing::Not(HasSubstr("cut")));
    EXPECT_EQ(TagAuthor(*n, "release"), root_id_.public_key());
    EXPECT_FALSE(HasDataset(*n, "made_while_cut"));
  }

  // Every interleaving, and the same again with every commit twice.
  auto orders = Interleavings({w1, w2}, {a1, r});
  ASSERT_EQ(orders.size(), 6u);
  std::vector<std::string> twice;
  for (const auto& c : orders[3]) twice.insert(twice.end(), {c, c});
  orders.push_back(twice);
  for (const auto& order : orders) {
    auto fresh = Fresh(base);
    ASSERT_TRUE(fresh);
    Deliver(*fresh, order);
    EXPECT_EQ(ScanVisible(*fresh, coll_, "t"), expected);
    EXPECT_EQ(DigestOf(*fresh, coll_), digest);
    EXPECT_FALSE(Valid(*fresh, w1));
    EXPECT_FALSE(Valid(*fresh, w2));
    EXPECT_THAT(Csv(*fresh), ::testing::Not(HasSubstr("cut")));
    EXPECT_EQ(TagAuthor(*fresh, "release"), root_id_.public_key());
    EXPECT_FALSE(HasDataset(*fresh, "made_while_cut"));
  }

  {  // The invalid commits are listed with their reasons; history marks them.
    Reader reader(*root_, coll_);
    auto invalid = reader.Log(0, /*invalid_only=*/true);
    ASSERT_TRUE(invalid.ok()) << invalid.status().ToString();
    ASSERT_EQ(invalid->size(), 2u);
    EXPECT_EQ(invalid->at(0).seq, 3u);  // newest first
    EXPECT_EQ(invalid->at(1).seq, 2u);
    for (const auto& e : *invalid)
      EXPECT_THAT(e.invalid_reason, HasSubstr("cut by the revocation"));
    google::protobuf::RepeatedPtrField<v1::Value> key;
    *key.Add() = Int(1);
    auto history = reader.History("t", key);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->size(), 2u);
    EXPECT_FALSE(history->at(0).valid);  // w1, the newest
    EXPECT_TRUE(history->at(1).valid);
    // As of a version without the revoke the cut commits do not count either:
    // validity is judged on everything held, not per version.
    VersionVector before_revoke = root_->Version(coll_);
    before_revoke.Set(root_id_.public_key(), before_revoke.Get(root_id_.public_key()) - 2);
    EXPECT_EQ(ScanVisible(*root_, coll_, "t", &before_revoke)["1"]["a"], "w0");
  }

  // Verdicts and the recomputed state survive a restart.
  root_.reset();
  auto reopened = Node::Open(dir_.Sub("root"));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  root_ = std::move(reopened).value();
  EXPECT_EQ(DigestOf(*root_, coll_), digest);
  EXPECT_EQ(root_->CurrentRole(coll_, writer_id_.node_id()), v1::ROLE_NONE);
}

// (2) Two admins revoke each other concurrently: both revocations apply,
// and every other commit either made concurrently with the other's is cut.
TEST_F(AclCutTest, MutualConcurrentRevocationsBothApply) {
  const std::vector<std::string> base = AllCommits(*root_, coll_);
  std::string a1 = Make(*root_, {Set(1, "root, concurrent")});
  std::string ra = Make(*root_, {RevokeOp(admin2_id_.node_id())});
  std::string b1 = Make(*admin2_, {Set(2, "admin2, concurrent")});
  std::string rb = Make(*admin2_, {RevokeOp(root_id_.node_id())});
  std::string w1 = Make(*writer_, {Set(3, "writer")});
  const VisibleTable expected = {{"3", {{"a", "writer"}}}};

  Deliver(*root_, {b1, rb, w1});
  Deliver(*admin2_, {a1, ra, w1});
  Deliver(*writer_, {a1, ra, b1, rb});
  std::vector<std::unique_ptr<Node>> fresh;
  std::vector<Node*> nodes = {root_.get(), admin2_.get(), writer_.get()};
  for (const auto& order : std::vector<std::vector<std::string>>{
           {a1, ra, b1, rb, w1}, {b1, rb, w1, a1, ra}, {w1, b1, a1, rb, ra}}) {
    fresh.push_back(Fresh(base));
    ASSERT_TRUE(fresh.back());
    Deliver(*fresh.back(), order);
    nodes.push_back(fresh.back().get());
  }
  const std::string digest = DigestOf(*root_, coll_);
  for (Node* n : nodes) {
    EXPECT_EQ(n->CurrentRole(coll_, root_id_.node_id()), v1::ROLE_NONE);
    EXPECT_EQ(n->CurrentRole(coll_, admin2_id_.node_id()), v1::ROLE_NONE);
    EXPECT_EQ(n->CurrentRole(coll_, writer_id_.node_id()), v1::ROLE_WRITER);
    EXPECT_TRUE(Valid(*n, ra));
    EXPECT_TRUE(Valid(*n, rb));
    EXPECT_FALSE(Valid(*n, a1));
    EXPECT_FALSE(Valid(*n, b1));
    EXPECT_TRUE(Valid(*n, w1));
    EXPECT_EQ(ScanVisible(*n, coll_, "t"), expected);
    EXPECT_EQ(DigestOf(*n, coll_), digest);
  }
  // The ACL log says the same.
  auto log = root_->AclLog(coll_);
  ASSERT_TRUE(log.ok());
  int revokes = 0;
  for (const auto& e : *log) {
    if (e.kind != AclLogEntry::Kind::kRevoke) continue;
    ++revokes;
    EXPECT_TRUE(e.valid) << e.invalid_reason;
  }
  EXPECT_EQ(revokes, 2);
}

// (3) Revoked, then granted again: commits made after seeing the re-grant
// count; the cut ones stay cut.
TEST_F(AclCutTest, ReGrantingRestoresLaterCommitsNotTheCutOnes) {
  const std::vector<std::string> base = AllCommits(*root_, coll_);
  std::string w1 = Make(*writer_, {Set(1, "cut")});
  std::string r = Make(*root_, {RevokeOp(writer_id_.node_id())});
  std::string g = Make(*root_, {GrantOp(writer_id_.node_id(), v1::ROLE_WRITER)});
  Deliver(*writer_, {r, g});
  EXPECT_FALSE(Valid(*writer_, w1)) << "the re-grant does not revive it";
  std::string w2 = Make(*writer_, {Set(2, "after the re-grant")});
  EXPECT_TRUE(Valid(*writer_, w2));
  ReceiveOutcome out = root_->Receive(w1);
  EXPECT_EQ(out.status, ReceiveStatus::kInvalid) << out.reason;
  EXPECT_EQ(root_->Receive(w2).status, ReceiveStatus::kApplied);

  const VisibleTable expected = {{"2", {{"a", "after the re-grant"}}}};
  const std::string digest = DigestOf(*root_, coll_);
  EXPECT_EQ(DigestOf(*writer_, coll_), digest);
  // w2 arriving before the re-grant waits for it (its deps), then counts.
  for (const auto& order : std::vector<std::vector<std::string>>{
           {r, g, w1, w2}, {w1, r, g, w2}, {w1, w2, r, g}, {w1, r, w2, g}}) {
    auto fresh = Fresh(base);
    ASSERT_TRUE(fresh);
    Deliver(*fresh, order);
    EXPECT_FALSE(Valid(*fresh, w1));
    EXPECT_TRUE(Valid(*fresh, w2));
    EXPECT_EQ(ScanVisible(*fresh, coll_, "t"), expected);
    EXPECT_EQ(DigestOf(*fresh, coll_), digest);
    EXPECT_EQ(fresh->CurrentRole(coll_, writer_id_.node_id()), v1::ROLE_WRITER);
  }
}

// (4) The second admin grants `other` write access while the root revokes
// the second admin: the grant is cut, so `other`'s commits relying on it are
// invalid everywhere, also where they had counted before the revoke came.
TEST_F(AclCutTest, CommitsRelyingOnACutGrantAreInvalidEverywhere) {
  const std::vector<std::string> base = AllCommits(*root_, coll_);
  std::string r = Make(*root_, {RevokeOp(admin2_id_.node_id())});
  std::string gx = Make(*admin2_, {GrantOp(other_id_.node_id(), v1::ROLE_WRITER)});
  ASSERT_EQ(other_->Receive(gx).status, ReceiveStatus::kApplied);
  std::string x1 = Make(*other_, {Set(1, "other")});

  auto late = Fresh(base);
  ASSERT_TRUE(late);
  Deliver(*late, {gx, x1});
  EXPECT_TRUE(Valid(*late, x1)) << "valid as far as this node knows";
  EXPECT_EQ(ScanVisible(*late, coll_, "t")["1"]["a"], "other");
  ReceiveOutcome out = late->Receive(r);
  EXPECT_EQ(out.status, ReceiveStatus::kApplied) << out.reason;

  auto early = Fresh(base);
  ASSERT_TRUE(early);
  Deliver(*early, {r});
  EXPECT_EQ(early->Receive(gx).status, ReceiveStatus::kInvalid);
  EXPECT_EQ(early->Receive(x1).status, ReceiveStatus::kInvalid);
  Deliver(*root_, {gx, x1});
  Deliver(*other_, {r});

  const std::string digest = DigestOf(*root_, coll_);
  for (Node* n : {root_.get(), other_.get(), late.get(), early.get()}) {
    EXPECT_FALSE(Valid(*n, gx));
    EXPECT_FALSE(Valid(*n, x1));
    EXPECT_THAT(StoredOf(*n, x1).invalid_reason(), HasSubstr("at its deps"));
    EXPECT_EQ(n->CurrentRole(coll_, other_id_.node_id()), v1::ROLE_NONE);
    EXPECT_TRUE(ScanVisible(*n, coll_, "t").empty());
    EXPECT_EQ(DigestOf(*n, coll_), digest);
  }
  auto members = root_->Members(coll_);
  ASSERT_TRUE(members.ok());
  for (const auto& m : *members) {
    EXPECT_NE(m.org, other_id_.node_id()) << "a cut grant names no member";
    if (m.org == writer_id_.node_id()) {
      EXPECT_EQ(m.role, v1::ROLE_WRITER);
      EXPECT_EQ(m.granted_by, root_id_.public_key());
    }
  }
}

// (5) A Revoke that would leave no admin at its deps is refused, made
// locally or received; it changes nothing.
TEST_F(AclCutTest, RevokingTheLastAdminIsRefused) {
  std::string step_down = Make(*admin2_, {RevokeOp(root_id_.node_id())});
  ASSERT_EQ(root_->Receive(step_down).status, ReceiveStatus::kApplied);
  ASSERT_EQ(root_->CurrentRole(coll_, root_id_.node_id()), v1::ROLE_NONE);
  auto local = admin2_->CommitOps(coll_, {RevokeOp(admin2_id_.node_id())}, "leave");
  ASSERT_FALSE(local.ok());
  EXPECT_THAT(local.status().message(), HasSubstr("no admin"));
  const VersionVector version = root_->Version(coll_);
  const std::string digest = DigestOf(*root_, coll_);
  v1::SignedCommit sc = admin2_->BuildCommit(coll_, admin2_->Version(coll_),
                                             {RevokeOp(admin2_id_.node_id())}, "leave");
  ReceiveOutcome out = root_->Receive(Serialized(sc));
  EXPECT_EQ(out.status, ReceiveStatus::kRejected);
  EXPECT_THAT(out.reason, HasSubstr("no admin"));
  EXPECT_EQ(root_->Version(coll_), version);
  EXPECT_EQ(DigestOf(*root_, coll_), digest);
  EXPECT_EQ(root_->CurrentRole(coll_, admin2_id_.node_id()), v1::ROLE_ADMIN);
}

}  // namespace
}  // namespace kongsi::node
