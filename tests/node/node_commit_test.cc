// The commit pipeline of a Node on real RocksDB (DESIGN §3, §4, §6, §7):
// signatures, permissions at deps, duplicates, equivocation, pending
// commits, schema checks and persistence across a reopen.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node/commit_applier.h"
#include "node/hlc.h"
#include "node/record_merge.h"
#include "tests/node/test_cluster.h"

namespace kongsi::node {
namespace {

using ::testing::HasSubstr;
using namespace kongsi::node::testing;

void Tick() { std::this_thread::sleep_for(std::chrono::milliseconds(2)); }

class NodeCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    admin_ = OpenNodeAs(dir_.Sub("admin"), admin_id_);
    writer_ = OpenNodeAs(dir_.Sub("writer"), writer_id_);
    writer2_ = OpenNodeAs(dir_.Sub("writer2"), writer2_id_);
    outsider_ = OpenNodeAs(dir_.Sub("outsider"), outsider_id_);
    ASSERT_TRUE(admin_ && writer_ && writer2_ && outsider_);
    auto coll = admin_->CreateCollection("budgets", "test collection");
    ASSERT_TRUE(coll.ok()) << coll.status().ToString();
    coll_ = *coll;
    auto ds = admin_->CommitOps(coll_, {CreateDatasetOp("t", TestSchema())}, "dataset");
    ASSERT_TRUE(ds.ok()) << ds.status().ToString();
    auto grant = admin_->CommitOps(coll_,
                                   {GrantOp(writer_id_.node_id(), v1::ROLE_WRITER),
                                    GrantOp(writer2_id_.node_id(), v1::ROLE_WRITER)},
                                   "grant writers");
    ASSERT_TRUE(grant.ok()) << grant.status().ToString();
    ASSERT_TRUE(SyncInto(*admin_, *writer_, coll_));
    ASSERT_TRUE(SyncInto(*admin_, *writer2_, coll_));
    ASSERT_TRUE(SyncInto(*admin_, *outsider_, coll_));
  }

  // A commit by `node` on its current version, applied on `node` itself.
  std::string CommitOn(Node& node, std::vector<v1::Op> ops) {
    v1::SignedCommit sc = node.BuildCommit(coll_, node.Version(coll_), std::move(ops), "test");
    std::string bytes = Serialized(sc);
    ReceiveOutcome out = node.Receive(bytes);
    EXPECT_EQ(out.status, ReceiveStatus::kApplied) << out.reason;
    return bytes;
  }

  v1::Op Set(int64_t key, const std::string& a) { return UpsertOp("t", {Int(key)}, {{"a", Str(a)}}); }

  TempDir dir_{"kongsi_nodecommit"};
  Identity admin_id_ = SeededIdentity(11, "admin");
  Identity writer_id_ = SeededIdentity(12, "writer");
  Identity writer2_id_ = SeededIdentity(13, "writer2");
  Identity outsider_id_ = SeededIdentity(14, "outsider");
  std::unique_ptr<Node> admin_, writer_, writer2_, outsider_;
  std::string coll_;
};

TEST_F(NodeCommitTest, SetUpReplicatesTheSameState) {
  EXPECT_EQ(admin_->Version(coll_).Total(), 3u);
  EXPECT_EQ(writer_->Version(coll_), admin_->Version(coll_));
  EXPECT_EQ(DigestOf(*writer_, coll_), DigestOf(*admin_, coll_));
  EXPECT_EQ(DigestOf(*outsider_, coll_), DigestOf(*admin_, coll_));
  auto cache = admin_->Collection(coll_);
  ASSERT_TRUE(cache.ok());
  EXPECT_EQ(cache->acl.CurrentRole(admin_id_.node_id()), v1::ROLE_ADMIN);
  EXPECT_EQ(cache->acl.CurrentRole(writer_id_.node_id()), v1::ROLE_WRITER);
  EXPECT_EQ(cache->acl.CurrentRole(outsider_id_.node_id()), v1::ROLE_NONE);
  // The collection ID is bound to its genesis.
  auto genesis = admin_->GetCommit(coll_, admin_id_.public_key(), 1);
  ASSERT_TRUE(genesis.ok());
  v1::SignedCommit sc;
  ASSERT_TRUE(sc.ParseFromString(genesis->signed_()));
  auto c = OpenSignedCommit(sc);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(CollectionIdFor(c->author(), c->ops(0).create_collection().nonce()), coll_);
}

TEST_F(NodeCommitTest, NonWriterCommitIsRejected) {
  const std::string digest = DigestOf(*admin_, coll_);
  const VersionVector version = admin_->Version(coll_);
  v1::SignedCommit sc = outsider_->BuildCommit(coll_, outsider_->Version(coll_), {Set(1, "sneaky")}, "x");
  ReceiveOutcome out = admin_->Receive(Serialized(sc));
  EXPECT_EQ(out.status, ReceiveStatus::kRejected);
  EXPECT_THAT(out.reason, HasSubstr("needs writer"));
  EXPECT_TRUE(out.applied.empty());
  EXPECT_EQ(DigestOf(*admin_, coll_), digest);
  EXPECT_EQ(admin_->Version(coll_), version);
  EXPECT_TRUE(ScanVisible(*admin_, coll_, "t").empty());
  // The outsider's own node refuses it too, and says why.
  auto local = outsider_->CommitOps(coll_, {Set(1, "sneaky")}, "x");
  ASSERT_FALSE(local.ok());
  EXPECT_THAT(local.status().message(), HasSubstr("needs writer"));
  // A writer's identical op is accepted: the rejection was about the role.
  ReceiveOutcome ok = admin_->Receive(CommitOn(*writer_, {Set(1, "fine")}));
  EXPECT_EQ(ok.status, ReceiveStatus::kApplied) << ok.reason;
  EXPECT_NE(DigestOf(*admin_, coll_), digest);
}

TEST_F(NodeCommitTest, OnlyAdminsGrant) {
  v1::SignedCommit sc = writer_->BuildCommit(
      coll_, writer_->Version(coll_), {GrantOp(outsider_id_.node_id(), v1::ROLE_WRITER)}, "x");
  ReceiveOutcome out = admin_->Receive(Serialized(sc));
  EXPECT_EQ(out.status, ReceiveStatus::kRejected);
  EXPECT_THAT(out.reason, HasSubstr("needs admin"));
  EXPECT_EQ(admin_->Collection(coll_)->acl.CurrentRole(outsider_id_.node_id()), v1::ROLE_NONE);
}

TEST_F(NodeCommitTest, ACommitWhoseDepsLackTheGrantIsRejected) {
  Identity late_id = SeededIdentity(15, "late");
  auto late = OpenNodeAs(dir_.Sub("late"), late_id);
  ASSERT_TRUE(late);
  // `late` sees the genesis and the dataset, not the grant made after.
  std::vector<std::string> log = AllCommits(*admin_, coll_);
  ASSERT_GE(log.size(), 2u);
  ASSERT_EQ(late->Receive(log[0]).status, ReceiveStatus::kApplied);
  ASSERT_EQ(late->Receive(log[1]).status, ReceiveStatus::kApplied);
  ASSERT_TRUE(admin_->CommitOps(coll_, {GrantOp(late_id.node_id(), v1::ROLE_WRITER)}, "grant").ok());
  v1::SignedCommit early = late->BuildCommit(coll_, late->Version(coll_), {Set(2, "early")}, "x");
  ReceiveOutcome out = admin_->Receive(Serialized(early));
  EXPECT_EQ(out.status, ReceiveStatus::kRejected) << "the grant is not in the commit's deps";
  EXPECT_THAT(out.reason, HasSubstr("needs writer"));
  // Once `late` has seen the grant, the same op is accepted.
  ASSERT_TRUE(SyncInto(*admin_, *late, coll_));
  Tick();
  ReceiveOutcome again = admin_->Receive(CommitOn(*late, {Set(2, "later")}));
  EXPECT_EQ(again.status, ReceiveStatus::kApplied) << again.reason;
  EXPECT_EQ(ScanVisible(*admin_, coll_, "t")["2"]["a"], "later");
}

TEST_F(NodeCommitTest, ForgedSignatureIsRejected) {
  const std::string digest = DigestOf(*admin_, coll_);
  v1::SignedCommit sc = writer_->BuildCommit(coll_, writer_->Version(coll_), {Set(1, "signed")}, "x");

  v1::SignedCommit flipped = sc;
  (*flipped.mutable_signature())[7] ^= 0x01;
  ReceiveOutcome out = admin_->Receive(Serialized(flipped));
  EXPECT_EQ(out.status, ReceiveStatus::kRejected);
  EXPECT_THAT(out.reason, HasSubstr("signature"));

  // The body changed under the original signature.
  v1::Commit body;
  ASSERT_TRUE(body.ParseFromString(sc.commit()));
  body.mutable_ops(0)->mutable_upsert()->mutable_cells(0)->mutable_value()->set_string_value("forged");
  v1::SignedCommit tampered = sc;
  tampered.set_commit(body.SerializeAsString());
  out = admin_->Receive(Serialized(tampered));
  EXPECT_EQ(out.status, ReceiveStatus::kRejected);
  EXPECT_THAT(out.reason, HasSubstr("signature"));

  // Signed by someone else in the writer's name.
  out = admin_->Receive(Serialized(SignCommit(body, outsider_id_)));
  EXPECT_EQ(out.status, ReceiveStatus::kRejected);

  EXPECT_EQ(DigestOf(*admin_, coll_), digest);
  EXPECT_TRUE(admin_->Alarms().empty()) << "a forgery is not an equivocation";
  // The genuine commit still applies: forgeries did not take its seq.
  out = admin_->Receive(Serialized(sc));
  EXPECT_EQ(out.status, ReceiveStatus::kApplied) << out.reason;
  EXPECT_EQ(ScanVisible(*admin_, coll_, "t")["1"]["a"], "signed");
}

TEST_F(NodeCommitTest, GarbageBytesAreRejected) {
  for (std::string junk : {std::string(""), std::string("\x0a\x05hello", 7), std::string(100, '\xff')}) {
    ReceiveOutcome out = admin_->Receive(junk);
    EXPECT_EQ(out.status, ReceiveStatus::kRejected) << junk.size();
  }
}

TEST_F(NodeCommitTest, DuplicateIsReportedAndChangesNothing) {
  std::string bytes = CommitOn(*writer_, {Set(1, "once")});
  ASSERT_EQ(admin_->Receive(bytes).status, ReceiveStatus::kApplied);
  const std::string digest = DigestOf(*admin_, coll_);
  const uint64_t dups = admin_->counters().commits_duplicate;
  ReceiveOutcome out = admin_->Receive(bytes);
  EXPECT_EQ(out.status, ReceiveStatus::kDuplicate);
  EXPECT_TRUE(out.applied.empty());
  EXPECT_EQ(admin_->counters().commits_duplicate, dups + 1);
  EXPECT_EQ(DigestOf(*admin_, coll_), digest);
  EXPECT_TRUE(admin_->Alarms().empty());
  // The author's own node sees its commit as a duplicate too.
  EXPECT_EQ(writer_->Receive(bytes).status, ReceiveStatus::kDuplicate);
}

TEST_F(NodeCommitTest, EquivocationKeepsTheFirstAndRaisesAnAlarm) {
  const VersionVector base = writer_->Version(coll_);
  v1::SignedCommit first = writer_->BuildCommit(coll_, base, {Set(1, "first")}, "x");
  v1::SignedCommit second = writer_->BuildCommit(coll_, base, {Set(1, "second")}, "x");
  ASSERT_NE(Serialized(first), Serialized(second));
  ASSERT_EQ(admin_->Receive(Serialized(first)).status, ReceiveStatus::kApplied);
  const std::string digest = DigestOf(*admin_, coll_);
  EXPECT_TRUE(admin_->Alarms().empty());

  ReceiveOutcome out = admin_->Receive(Serialized(second));
  EXPECT_EQ(out.status, ReceiveStatus::kEquivocation);
  EXPECT_THAT(out.reason, HasSubstr("equivocation"));
  ASSERT_FALSE(admin_->Alarms().empty());
  EXPECT_EQ(admin_->counters().equivocations, 1u);
  EXPECT_EQ(DigestOf(*admin_, coll_), digest);
  EXPECT_EQ(ScanVisible(*admin_, coll_, "t")["1"]["a"], "first");
  // Still an equivocation the second time; the first is still a duplicate.
  EXPECT_EQ(admin_->Receive(Serialized(second)).status, ReceiveStatus::kEquivocation);
  EXPECT_EQ(admin_->Receive(Serialized(first)).status, ReceiveStatus::kDuplicate);
}

TEST_F(NodeCommitTest, MissingDepsWaitThenApply) {
  std::string w1 = CommitOn(*writer_, {Set(1, "w1")});
  Tick();
  std::string w2 = CommitOn(*writer_, {Set(2, "w2")});
  ReceiveOutcome out = admin_->Receive(w2);
  EXPECT_EQ(out.status, ReceiveStatus::kPending) << out.reason;
  EXPECT_TRUE(out.applied.empty());
  EXPECT_EQ(admin_->Version(coll_).Get(writer_id_.public_key()), 0u);
  EXPECT_TRUE(ScanVisible(*admin_, coll_, "t").empty());
  // The pending commit again: still pending, not a duplicate of anything.
  EXPECT_EQ(admin_->Receive(w2).status, ReceiveStatus::kPending);

  out = admin_->Receive(w1);
  EXPECT_EQ(out.status, ReceiveStatus::kApplied) << out.reason;
  ASSERT_EQ(out.applied.size(), 2u);
  EXPECT_EQ(out.applied[0].seq, 1u);
  EXPECT_EQ(out.applied[1].seq, 2u);
  EXPECT_EQ(out.applied[1].signed_bytes, w2);
  EXPECT_EQ(admin_->Version(coll_).Get(writer_id_.public_key()), 2u);
  VisibleTable t = ScanVisible(*admin_, coll_, "t");
  EXPECT_EQ(t["1"]["a"], "w1");
  EXPECT_EQ(t["2"]["a"], "w2");
  EXPECT_EQ(admin_->Receive(w2).status, ReceiveStatus::kDuplicate);
  EXPECT_EQ(DigestOf(*admin_, coll_), DigestOf(*writer_, coll_));
}

TEST_F(NodeCommitTest, ACommitWaitsForAnotherAuthorsCommit) {
  std::string w1 = CommitOn(*writer_, {Set(1, "w1")});
  ASSERT_EQ(writer2_->Receive(w1).status, ReceiveStatus::kApplied);
  Tick();
  std::string x1 = CommitOn(*writer2_, {Set(1, "x1")});  // saw w1
  ReceiveOutcome out = admin_->Receive(x1);
  ASSERT_EQ(out.status, ReceiveStatus::kPending) << out.reason;
  out = admin_->Receive(w1);
  ASSERT_EQ(out.status, ReceiveStatus::kApplied) << out.reason;
  ASSERT_EQ(out.applied.size(), 2u);
  EXPECT_EQ(out.applied[0].author, writer_id_.public_key());
  EXPECT_EQ(out.applied[1].author, writer2_id_.public_key());
  EXPECT_EQ(ScanVisible(*admin_, coll_, "t")["1"]["a"], "x1");
  EXPECT_EQ(DigestOf(*admin_, coll_), DigestOf(*writer2_, coll_));
}

TEST_F(NodeCommitTest, SchemaViolationsAreRejectedNamingTheField) {
  const std::string digest = DigestOf(*admin_, coll_);
  struct Case {
    v1::Op op;
    std::string expect;
  };
  std::vector<Case> cases = {
      {UpsertOp("t", {Int(1)}, {{"b", Str("ten")}}), "\"b\""},              // string in an integer field
      {UpsertOp("t", {Int(1)}, {{"nope", Str("x")}}), "\"nope\""},          // unknown field
      {UpsertOp("t", {Int(1), Int(2)}, {{"a", Str("x")}}), "key has 2 values"},  // key arity
      {UpsertOp("t", {}, {{"a", Str("x")}}), "key has 0 values"},
      {UpsertOp("t", {Str("one")}, {{"a", Str("x")}}), "\"id\""},           // key of the wrong type
      {UpsertOp("t", {Int(1)}, {{"id", Int(2)}}), "\"id\""},                // a key field as a cell
      {UpsertOp("t", {Int(1)}, {{"c", Int(2)}}), "\"c\""},                  // integer in a number field
      {UpsertOp("nope_ds", {Int(1)}, {{"a", Str("x")}}), "\"nope_ds\""},    // unknown dataset
      {DeleteOp("t", {Str("one")}), "\"id\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.op.ShortDebugString());
    // Made locally.
    auto local = admin_->CommitOps(coll_, {c.op}, "bad");
    ASSERT_FALSE(local.ok());
    EXPECT_THAT(local.status().message(), HasSubstr(c.expect));
    // Received from a writer, after a good op in the same commit: all or nothing.
    v1::SignedCommit sc =
        writer_->BuildCommit(coll_, writer_->Version(coll_), {Set(5, "good"), c.op}, "bad");
    ReceiveOutcome out = admin_->Receive(Serialized(sc));
    EXPECT_EQ(out.status, ReceiveStatus::kRejected);
    EXPECT_THAT(out.reason, HasSubstr(c.expect));
    EXPECT_THAT(out.reason, HasSubstr("op 2"));
  }
  EXPECT_EQ(DigestOf(*admin_, coll_), digest);
  EXPECT_TRUE(ScanVisible(*admin_, coll_, "t").empty());
  // Nulls fit any field; good values of every type are accepted.
  auto ok = admin_->CommitOps(
      coll_, {UpsertOp("t", {Int(1)}, {{"a", Null()}, {"b", Int(-3)}, {"c", Num(2.5)}})}, "good");
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ScanVisible(*admin_, coll_, "t")["1"], (VisibleRecord{{"b", "-3"}, {"c", "2.5"}}));
}

TEST_F(NodeCommitTest, TheLastAdminCannotBeRevoked) {
  auto r = admin_->CommitOps(coll_, {RevokeOp(admin_id_.node_id())}, "self-revoke");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("no admin"));
  EXPECT_EQ(admin_->Collection(coll_)->acl.CurrentRole(admin_id_.node_id()), v1::ROLE_ADMIN);
  // With a second admin it can.
  ASSERT_TRUE(admin_->CommitOps(coll_, {GrantOp(writer_id_.node_id(), v1::ROLE_ADMIN)}, "g").ok());
  r = admin_->CommitOps(coll_, {RevokeOp(admin_id_.node_id())}, "step down");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(admin_->Collection(coll_)->acl.CurrentRole(admin_id_.node_id()), v1::ROLE_NONE);
}

TEST_F(NodeCommitTest, ACommitAfterTheRevokeIsRejected) {
  ASSERT_TRUE(admin_->CommitOps(coll_, {RevokeOp(writer_id_.node_id())}, "revoke").ok());
  ASSERT_TRUE(SyncInto(*admin_, *writer_, coll_));
  v1::SignedCommit sc = writer_->BuildCommit(coll_, writer_->Version(coll_), {Set(1, "late")}, "x");
  ReceiveOutcome out = admin_->Receive(Serialized(sc));
  EXPECT_EQ(out.status, ReceiveStatus::kRejected);
  EXPECT_THAT(out.reason, HasSubstr("needs writer"));
  EXPECT_TRUE(ScanVisible(*admin_, coll_, "t").empty());
}

// A commit the revoker had not seen is cut (DESIGN §6): stored and in the
// version (so later commits of its author can still apply), but invalid.
TEST_F(NodeCommitTest, ARevokeCutsTheConcurrentCommitsOfTheRevoked) {
  std::string w = CommitOn(*writer_, {Set(7, "concurrent with the revoke")});
  v1::Op revoke;
  revoke.mutable_revoke()->set_org(writer_id_.node_id());
  auto r = admin_->CommitOps(coll_, {revoke}, "revoke");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ReceiveOutcome out = admin_->Receive(w);
  EXPECT_EQ(out.status, ReceiveStatus::kInvalid) << out.reason;
  EXPECT_STREQ(ReceiveStatusName(out.status), "invalid");
  EXPECT_THAT(out.reason, HasSubstr("cut by the revocation"));
  EXPECT_EQ(ScanVisible(*admin_, coll_, "t").count("7"), 0u);
  auto stored = admin_->GetCommit(coll_, writer_id_.public_key(), 1);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_FALSE(stored->valid());
  EXPECT_EQ(admin_->Version(coll_).Get(writer_id_.public_key()), 1u);
  EXPECT_EQ(admin_->counters().commits_invalid, 1u);
  // The writer's node, on seeing the revoke, judges its own commit alike.
  ASSERT_TRUE(SyncInto(*admin_, *writer_, coll_));
  EXPECT_EQ(ScanVisible(*writer_, coll_, "t").count("7"), 0u);
  EXPECT_EQ(DigestOf(*writer_, coll_), DigestOf(*admin_, coll_));
}

TEST_F(NodeCommitTest, ConflictsAndHistoryThroughTheReader) {
  std::string a = CommitOn(*admin_, {Set(1, "from-admin")});
  Tick();
  std::string w = CommitOn(*writer_, {Set(1, "from-writer")});  // concurrent with `a`
  ASSERT_EQ(admin_->Receive(w).status, ReceiveStatus::kApplied);
  ASSERT_EQ(writer_->Receive(a).status, ReceiveStatus::kApplied);
  EXPECT_EQ(DigestOf(*admin_, coll_), DigestOf(*writer_, coll_));
  {
    Reader reader(*admin_, coll_);
    auto conflicts = reader.Conflicts("t");
    ASSERT_TRUE(conflicts.ok());
    ASSERT_EQ(conflicts->size(), 1u);
    const ConflictEntry& c = conflicts->front();
    EXPECT_EQ(c.field, "a");
    EXPECT_EQ(c.value.string_value(), "from-writer");  // the later hlc
    EXPECT_EQ(c.by.author(), writer_id_.public_key());
    ASSERT_EQ(c.losers.size(), 1u);
    EXPECT_EQ(c.losers[0].value().string_value(), "from-admin");
    google::protobuf::RepeatedPtrField<v1::Value> key;
    *key.Add() = Int(1);
    auto history = reader.History("t", key);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->size(), 2u);
    EXPECT_EQ(history->at(0).by.author(), writer_id_.public_key());  // newest first
    EXPECT_EQ(history->at(1).by.author(), admin_id_.public_key());
  }
  Tick();
  // The admin, having seen both, resolves it.
  ASSERT_EQ(writer_->Receive(CommitOn(*admin_, {Set(1, "resolved")})).status, ReceiveStatus::kApplied);
  for (Node* n : {admin_.get(), writer_.get()}) {
    Reader reader(*n, coll_);
    auto conflicts = reader.Conflicts("");
    ASSERT_TRUE(conflicts.ok());
    EXPECT_TRUE(conflicts->empty());
    EXPECT_EQ(ScanVisible(*n, coll_, "t")["1"]["a"], "resolved");
  }
}

TEST_F(NodeCommitTest, AsOfReadsSeeOnlyCommitsAtOrBelowTheVersion) {
  CommitOn(*admin_, {Set(1, "v1"), Set(2, "two")});
  const VersionVector v1 = admin_->Version(coll_);
  Tick();
  CommitOn(*admin_, {Set(1, "v2"), DeleteOp("t", {Int(2)}), Set(3, "three")});
  VisibleTable now = ScanVisible(*admin_, coll_, "t");
  EXPECT_EQ(now, (VisibleTable{{"1", {{"a", "v2"}}}, {"3", {{"a", "three"}}}}));
  VisibleTable then = ScanVisible(*admin_, coll_, "t", &v1);
  EXPECT_EQ(then, (VisibleTable{{"1", {{"a", "v1"}}}, {"2", {{"a", "two"}}}}));
  const VersionVector current = admin_->Version(coll_);
  EXPECT_EQ(ScanVisible(*admin_, coll_, "t", &current), now);
}

// A record op's value leaves out what its key holds (author, seq, op
// index); values a build before wrote hold them too and must read the same.
TEST_F(NodeCommitTest, RecordOpsKeepWhatTheirKeyLacksAndOldFullValuesReadTheSame) {
  CommitOn(*admin_, {Set(1, "v1"), Set(2, "two")});
  const VersionVector v1 = admin_->Version(coll_);
  Tick();
  CommitOn(*admin_, {Set(1, "v2"), DeleteOp("t", {Int(2)})});
  google::protobuf::RepeatedPtrField<v1::Value> key;
  *key.Add() = Int(1);
  auto read = [&] {
    auto history = Reader(*admin_, coll_).History("t", key);
    EXPECT_TRUE(history.ok());
    std::vector<std::string> out;
    for (const HistoryEntry& h : *history) {
      out.push_back(h.by.SerializeAsString() + "/" + std::to_string(h.op_index) + "/" +
                    h.op.SerializeAsString());
    }
    return std::make_pair(out, ScanVisible(*admin_, coll_, "t", &v1));
  };
  const auto before = read();
  ASSERT_EQ(before.first.size(), 2u);
  EXPECT_EQ(before.second, (VisibleTable{{"1", {{"a", "v1"}}}, {"2", {{"a", "two"}}}}));

  storage::WriteBatch full(admin_->db());
  int ops = 0;
  for (auto it = admin_->db().NewPrefixIterator(storage::Family::kRecordOps, coll_); it->Valid();
       it->Next(), ++ops) {
    EXPECT_EQ(std::string_view(it->value()).find(admin_id_.public_key()), std::string_view::npos);
    v1::RecordOp rop;
    ASSERT_TRUE(ParseRecordOp(it->key(), it->value(), &rop).ok());
    EXPECT_EQ(rop.by().author(), admin_id_.public_key());
    full.Put(storage::Family::kRecordOps, it->key(), rop.SerializeAsString());
  }
  EXPECT_EQ(ops, 4);
  ASSERT_TRUE(admin_->db().Write(full).ok());
  EXPECT_EQ(read(), before);
}

TEST_F(NodeCommitTest, StateSurvivesCloseAndReopen) {
  ASSERT_EQ(admin_->Receive(CommitOn(*writer_, {Set(1, "w1")})).status, ReceiveStatus::kApplied);
  Tick();
  std::string w2 = CommitOn(*writer_, {Set(2, "w2")});
  Tick();
  std::string w3 = CommitOn(*writer_, {Set(3, "w3")});
  ASSERT_EQ(admin_->Receive(w3).status, ReceiveStatus::kPending);
  const std::string digest = DigestOf(*admin_, coll_);
  const VersionVector version = admin_->Version(coll_);
  const VisibleTable table = ScanVisible(*admin_, coll_, "t");

  admin_.reset();
  auto reopened = Node::Open(dir_.Sub("admin"));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  admin_ = std::move(reopened).value();
  EXPECT_EQ(admin_->identity().public_key(), admin_id_.public_key());
  EXPECT_EQ(admin_->Version(coll_), version);
  EXPECT_EQ(DigestOf(*admin_, coll_), digest);
  EXPECT_EQ(ScanVisible(*admin_, coll_, "t"), table);
  auto cache = admin_->Collection(coll_);
  ASSERT_TRUE(cache.ok());
  EXPECT_EQ(cache->info.name(), "budgets");
  EXPECT_EQ(cache->datasets.count("t"), 1u);
  EXPECT_EQ(cache->acl.CurrentRole(admin_id_.node_id()), v1::ROLE_ADMIN);
  EXPECT_EQ(cache->acl.CurrentRole(writer_id_.node_id()), v1::ROLE_WRITER);
  EXPECT_EQ(cache->acl.CurrentRole(outsider_id_.node_id()), v1::ROLE_NONE);
  // The ACL still decides.
  v1::SignedCommit sneaky = outsider_->BuildCommit(coll_, outsider_->Version(coll_), {Set(9, "x")}, "x");
  EXPECT_EQ(admin_->Receive(Serialized(sneaky)).status, ReceiveStatus::kRejected);
  // The pending commit survived: w2 releases it.
  ReceiveOutcome out = admin_->Receive(w2);
  EXPECT_EQ(out.status, ReceiveStatus::kApplied) << out.reason;
  EXPECT_EQ(out.applied.size(), 2u);
  EXPECT_EQ(admin_->Version(coll_).Get(writer_id_.public_key()), 3u);
  // Duplicates are still recognised, and the node can still commit.
  EXPECT_EQ(admin_->Receive(w3).status, ReceiveStatus::kDuplicate);
  auto more = admin_->CommitOps(coll_, {Set(4, "after reopen")}, "x");
  EXPECT_TRUE(more.ok()) << more.status().ToString();
  EXPECT_TRUE(SyncInto(*admin_, *writer_, coll_));
  EXPECT_EQ(DigestOf(*writer_, coll_), DigestOf(*admin_, coll_));
}

// A node feeds the HLCs of the commits it receives into its clock, so a
// commit made after seeing a peer's commit whose clock runs ahead still gets
// a greater stamp and wins over the value it overwrote (it is not listed as
// a conflict). Regression: without HybridClock::Observe on receive it lost.
TEST_F(NodeCommitTest, ACausallyLaterLocalWriteWinsOverAPeerWithAFastClock) {
  v1::Commit c;
  c.set_collection(coll_);
  c.set_author(writer_id_.public_key());
  c.set_seq(1);
  c.set_hlc(HlcFromMs(SystemNowMs() + 60'000));  // a minute ahead: within the allowed skew
  writer_->Version(coll_).ToProto(c.mutable_deps());
  *c.add_ops() = Set(1, "peer, clock ahead");
  ReceiveOutcome out = admin_->Receive(Serialized(SignCommit(c, writer_id_)));
  ASSERT_EQ(out.status, ReceiveStatus::kApplied) << out.reason;
  auto mine = admin_->CommitOps(coll_, {Set(1, "admin, after seeing it")}, "overwrite");
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_GT(mine->hlc, c.hlc()) << "the node's clock did not observe the received hlc";
  EXPECT_EQ(ScanVisible(*admin_, coll_, "t")["1"]["a"], "admin, after seeing it");
  Reader reader(*admin_, coll_);
  auto conflicts = reader.Conflicts("t");
  ASSERT_TRUE(conflicts.ok());
  EXPECT_TRUE(conflicts->empty()) << "an overwrite that saw the old value is not a conflict";
}

// After the node observed a peer whose clock runs ahead and stamped its own
// commit after it, a restart must not make its next HLC smaller than its
// previous one (the clock observes the log at Open).
TEST_F(NodeCommitTest, TheClockResumesAfterTheLogOnReopen) {
  v1::Commit c;
  c.set_collection(coll_);
  c.set_author(writer_id_.public_key());
  c.set_seq(1);
  c.set_hlc(HlcFromMs(SystemNowMs() + 60'000));
  writer_->Version(coll_).ToProto(c.mutable_deps());
  *c.add_ops() = Set(1, "peer, clock ahead");
  ASSERT_EQ(admin_->Receive(Serialized(SignCommit(c, writer_id_))).status, ReceiveStatus::kApplied);
  auto before = admin_->CommitOps(coll_, {Set(2, "before restart")}, "x");
  ASSERT_TRUE(before.ok()) << before.status().ToString();

  admin_.reset();
  auto reopened = Node::Open(dir_.Sub("admin"));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  admin_ = std::move(reopened).value();
  auto after = admin_->CommitOps(coll_, {Set(1, "admin, after restart")}, "x");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_GT(after->hlc, before->hlc);
  EXPECT_EQ(ScanVisible(*admin_, coll_, "t")["1"]["a"], "admin, after restart");
}

// The ACL mistakes the CLI refuses locally are refused the same way when a
// peer's commit carries them: rejected with a reason, nothing stored.
TEST_F(NodeCommitTest, BadAclOpsFromAPeerAreRejectedWithAReason) {
  v1::Op unknown_role = GrantOp(outsider_id_.node_id(), v1::ROLE_WRITER);
  unknown_role.mutable_grant()->set_role(static_cast<v1::Role>(42));
  const std::vector<std::pair<std::string, v1::Op>> cases = {
      {"grant to a malformed node ID", GrantOp("not-a-node-id", v1::ROLE_WRITER)},
      {"grant of an unknown role", unknown_role},
      {"revoke of the last admin", RevokeOp(admin_id_.node_id())},
      {"revoke of a non-member", RevokeOp(outsider_id_.node_id())},
  };
  for (const auto& [what, op] : cases) {
    const std::string digest = DigestOf(*writer_, coll_);
    const uint64_t rejected = writer_->counters().commits_rejected;
    v1::SignedCommit sc = admin_->BuildCommit(coll_, admin_->Version(coll_), {op}, what);
    ReceiveOutcome out = writer_->Receive(Serialized(sc));
    EXPECT_EQ(out.status, ReceiveStatus::kRejected) << what;
    EXPECT_FALSE(out.reason.empty()) << what;
    EXPECT_EQ(writer_->counters().commits_rejected, rejected + 1) << what;
    EXPECT_EQ(DigestOf(*writer_, coll_), digest) << what;
    EXPECT_EQ(writer_->Collection(coll_)->acl.CurrentRole(admin_id_.node_id()), v1::ROLE_ADMIN) << what;
  }
}

}  // namespace
}  // namespace kongsi::node
