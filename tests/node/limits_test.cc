// Node-level limits of docs/LIMITS.md, each at its edge (accepted) and one
// past it (refused with an error naming the constant, nothing stored): names,
// fields per dataset, cells, a CSV field through a whole import, the import
// chain's splits, datapackage.json, one signed commit, the pending set, and
// what a SyncSession takes from a peer (collections per link, initial
// credit) and sends it (batches). The CSV reader's own limits and the schema
// JSON's are at their edges in csv_reader_test.cc and table_schema_test.cc;
// the clock skew in hlc_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "node/csv_reader.h"
#include "node/data_package.h"
#include "node/importer.h"
#include "node/op_validation.h"
#include "node/sync_session.h"
#include "tests/node/sync_net.h"
#include "tests/node/test_cluster.h"

namespace kongsi::node {
namespace {

using ::testing::HasSubstr;
using namespace kongsi::node::testing;

// A name of exactly `n` bytes.
std::string NameOf(size_t n) { return std::string(n, 'n'); }

class NodeLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = OpenNodeAs(dir_.Sub("a"), SeededIdentity(21, "admin"));
    writer_ = OpenNodeAs(dir_.Sub("w"), SeededIdentity(22, "writer"));
    ASSERT_TRUE(node_ && writer_);
    auto coll = node_->CreateCollection("limits", "");
    ASSERT_TRUE(coll.ok()) << coll.status().ToString();
    coll_ = *coll;
    ASSERT_TRUE(node_->CommitOps(coll_, {CreateDatasetOp("t", TestSchema()),
                                         GrantOp(writer_->identity().node_id(), v1::ROLE_WRITER)},
                                 "setup")
                    .ok());
    ASSERT_TRUE(SyncInto(*node_, *writer_, coll_));
  }

  // Commits `ops` locally; the error message, or "" when it was applied.
  std::string Refusal(std::vector<v1::Op> ops) {
    auto r = node_->CommitOps(coll_, std::move(ops), "limit");
    return r.ok() ? "" : r.status().message();
  }

  Result<PublishReport> PublishCsv(const std::string& dataset, const std::string& text) {
    const std::string path = dir_.Sub(dataset + std::to_string(files_++) + ".csv");
    std::ofstream(path, std::ios::binary) << text;
    PublishOptions o;
    o.collection = coll_;
    o.dataset = dataset;
    o.key_columns = {"id"};
    return Publish(*node_, path, o);
  }

  // A commit of the writer's, `extra` bytes past kMaxCommitBytes once signed
  // (0: exactly at it): upserts of 1 MiB cells, the last one trimmed to fit.
  std::string CommitOfSize(long extra) {
    const size_t cells = kMaxCommitBytes / kMaxCellBytes;
    std::vector<v1::Op> ops;
    for (size_t i = 0; i + 1 < cells; ++i)
      ops.push_back(UpsertOp("t", {Int(static_cast<int64_t>(i))}, {{"a", Str(std::string(kMaxCellBytes, 'x'))}}));
    size_t last = kMaxCellBytes / 2;
    std::string bytes;
    // Each length prefix keeps its width over the range tried, so two or
    // three rounds land exactly.
    for (int round = 0; round < 8; ++round) {
      std::vector<v1::Op> all = ops;
      all.push_back(UpsertOp("t", {Int(1000)}, {{"a", Str(std::string(last, 'y'))}}));
      bytes = Serialized(writer_->BuildCommit(coll_, writer_->Version(coll_), std::move(all), ""));
      const long off = static_cast<long>(bytes.size()) - static_cast<long>(kMaxCommitBytes) - extra;
      if (off == 0) return bytes;
      last = static_cast<size_t>(static_cast<long>(last) - off);
    }
    ADD_FAILURE() << "could not build a commit of " << kMaxCommitBytes << " + " << extra << " bytes";
    return bytes;
  }

  TempDir dir_{"kongsi_limits"};
  std::unique_ptr<Node> node_, writer_;
  std::string coll_;
  int files_ = 0;
};

TEST_F(NodeLimitsTest, ObjectNamesAtAndPastKMaxObjectNameBytes) {
  const std::string at = NameOf(kMaxObjectNameBytes), past = NameOf(kMaxObjectNameBytes + 1);
  const std::string digest = DigestOf(*node_, coll_);
  v1::Schema long_field;
  *long_field.add_fields() = FieldOf(past, "integer");
  long_field.add_primary_key(past);
  v1::Op tag;
  tag.mutable_tag()->set_name(past);
  *tag.mutable_tag()->mutable_vv() = node_->Version(coll_).ToProto();
  for (const auto& [op, what] : std::vector<std::pair<v1::Op, std::string>>{
           {CreateDatasetOp(past, TestSchema()), "dataset name"},
           {CreateDatasetOp("f", long_field), "field 1 name"},
           {tag, "tag name"}}) {
    EXPECT_THAT(Refusal({op}), HasSubstr(what + " is longer than 256 bytes, the limit (kMaxObjectNameBytes)"));
  }
  auto coll = node_->CreateCollection(past, "");
  ASSERT_FALSE(coll.ok());
  EXPECT_THAT(coll.status().message(), HasSubstr("collection name is longer than 256 bytes"));
  EXPECT_EQ(node_->ListCollections().size(), 1u);
  EXPECT_EQ(DigestOf(*node_, coll_), digest);

  *long_field.mutable_fields(0)->mutable_name() = at;
  long_field.set_primary_key(0, at);
  tag.mutable_tag()->set_name(at);
  EXPECT_EQ(Refusal({CreateDatasetOp(at, TestSchema()), CreateDatasetOp("f", long_field), tag}), "");
  EXPECT_TRUE(node_->CreateCollection(at, "").ok());
}

TEST_F(NodeLimitsTest, FieldsPerDatasetAtAndPastKMaxFieldsPerDataset) {
  auto schema_of = [](size_t n) {
    v1::Schema s;
    for (size_t i = 0; i < n; ++i) *s.add_fields() = FieldOf("c" + std::to_string(i), "string");
    s.add_primary_key("c0");
    return s;
  };
  const std::string digest = DigestOf(*node_, coll_);
  EXPECT_THAT(Refusal({CreateDatasetOp("wide", schema_of(kMaxFieldsPerDataset + 1))}),
              HasSubstr("more than 4096 fields, the limit (kMaxFieldsPerDataset)"));
  EXPECT_EQ(DigestOf(*node_, coll_), digest);
  EXPECT_FALSE(node_->Dataset(coll_, "wide").ok());

  // At the limit; then AddField is held to it too.
  ASSERT_EQ(Refusal({CreateDatasetOp("wide", schema_of(kMaxFieldsPerDataset))}), "");
  v1::Op add;
  add.mutable_add_field()->set_dataset("wide");
  *add.mutable_add_field()->mutable_field() = FieldOf("one_more", "string");
  const std::string before = DigestOf(*node_, coll_);
  EXPECT_THAT(Refusal({add}), HasSubstr("(kMaxFieldsPerDataset)"));
  EXPECT_EQ(DigestOf(*node_, coll_), before);
  EXPECT_EQ(node_->Dataset(coll_, "wide")->schema().fields_size(), static_cast<int>(kMaxFieldsPerDataset));
}

TEST_F(NodeLimitsTest, CellsAtAndPastKMaxCellBytes) {
  const std::string digest = DigestOf(*node_, coll_);
  EXPECT_THAT(Refusal({UpsertOp("t", {Int(1)}, {{"a", Str(std::string(kMaxCellBytes + 1, 'x'))}})}),
              HasSubstr("field \"a\": value over 1048576 bytes, the limit (kMaxCellBytes)"));
  EXPECT_EQ(DigestOf(*node_, coll_), digest);
  // A string counts its own bytes, not its encoding.
  EXPECT_EQ(Refusal({UpsertOp("t", {Int(1)}, {{"a", Str(std::string(kMaxCellBytes, 'x'))}})}), "");
  EXPECT_EQ(ScanVisible(*node_, coll_, "t")["1"]["a"].size(), kMaxCellBytes);
}

// The CSV reader's field limit and the cell limit are the same 1 MiB: a field
// the reader takes is a cell the commit takes.
TEST_F(NodeLimitsTest, ACsvFieldAtKMaxFieldBytesImportsAndOneMoreIsRefused) {
  static_assert(kMaxFieldBytes == kMaxCellBytes);
  auto past = PublishCsv("csv", "id,a\n1," + std::string(kMaxFieldBytes + 1, 'x') + "\n");
  ASSERT_FALSE(past.ok());
  EXPECT_THAT(past.status().message(), HasSubstr("(kMaxFieldBytes)"));
  EXPECT_FALSE(node_->Dataset(coll_, "csv").ok());

  auto at = PublishCsv("csv", "id,a\n1," + std::string(kMaxFieldBytes, 'x') + "\n");
  ASSERT_TRUE(at.ok()) << at.status().ToString();
  EXPECT_EQ(ScanVisible(*node_, coll_, "csv")["1"]["a"].size(), kMaxFieldBytes);
}

TEST_F(NodeLimitsTest, AnImportSplitsItsChainPastKChainOpsPerCommit) {
  auto rows = [](size_t n) {
    std::string csv = "id,a\n";
    for (size_t i = 0; i < n; ++i) csv += std::to_string(i) + ",v\n";
    return csv;
  };
  // The dataset first, so the chains below carry upserts only.
  ASSERT_TRUE(PublishCsv("at", rows(0) + "0,v\n").ok());
  ASSERT_TRUE(PublishCsv("past", rows(0) + "0,v\n").ok());
  auto at = PublishCsv("at", rows(kChainOpsPerCommit + 1));  // row 0 is unchanged
  ASSERT_TRUE(at.ok()) << at.status().ToString();
  EXPECT_EQ(at->ops, kChainOpsPerCommit);
  EXPECT_EQ(at->commits, 1u);
  auto past = PublishCsv("past", rows(kChainOpsPerCommit + 2));
  ASSERT_TRUE(past.ok()) << past.status().ToString();
  EXPECT_EQ(past->ops, kChainOpsPerCommit + 1);
  EXPECT_EQ(past->commits, 2u);
}

// The chain is sealed once its ops reach kChainBytesPerCommit: ops of
// exactly that many bytes, then one more, make two commits; a byte less, one.
TEST_F(NodeLimitsTest, AnImportSealsACommitOnceItsOpsReachKChainBytesPerCommit) {
  auto commits_for = [&](const std::string& dataset, size_t op_bytes) -> uint64_t {
    if (!PublishCsv(dataset, "id,a\n0,v\n").ok()) return 0;
    auto op_size = [&](int64_t id, size_t len) {
      return UpsertOp(dataset, {Int(id)}, {{"a", Str(std::string(len, 'x'))}}).ByteSizeLong();
    };
    std::string csv = "id,a\n0,v\n";
    size_t total = 0;
    for (int64_t id = 1; id <= 4; ++id) {
      csv += std::to_string(id) + "," + std::string(1'000'000, 'x') + "\n";
      total += op_size(id, 1'000'000);
    }
    size_t len = op_bytes - total - 64;  // under the op's framing, then up to exact
    while (total + op_size(5, len) < op_bytes) ++len;
    EXPECT_EQ(total + op_size(5, len), op_bytes);
    csv += "5," + std::string(len, 'x') + "\n6,v\n";
    auto report = PublishCsv(dataset, csv);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report.ok() ? report->ops : 0, 6u);
    return report.ok() ? report->commits : 0;
  };
  EXPECT_EQ(commits_for("b1", kChainBytesPerCommit - 1), 1u);
  EXPECT_EQ(commits_for("b2", kChainBytesPerCommit), 2u);
}

TEST_F(NodeLimitsTest, DataPackageDescriptorsAtAndPastKMaxPackageJsonBytes) {
  const std::string folder = dir_.Sub("package");
  std::filesystem::create_directories(folder);
  std::ofstream(folder + "/r.csv", std::ios::binary) << "id,a\n1,x\n";
  auto publish = [&](size_t size) {
    std::string json = R"({"name": "p", "resources": [{"name": "r", "path": "r.csv"}]})";
    json.resize(size, ' ');
    std::ofstream(folder + "/datapackage.json", std::ios::binary | std::ios::trunc) << json;
    PackagePublishOptions o;
    o.collection = coll_;
    return PublishDataPackage(*node_, folder, o);
  };
  const std::string digest = DigestOf(*node_, coll_);
  auto past = publish(kMaxPackageJsonBytes + 1);
  ASSERT_FALSE(past.ok());
  EXPECT_THAT(past.status().message(), HasSubstr("more than the limit of 4194304 bytes (kMaxPackageJsonBytes)"));
  EXPECT_EQ(DigestOf(*node_, coll_), digest);
  auto at = publish(kMaxPackageJsonBytes);
  ASSERT_TRUE(at.ok()) << at.status().ToString();
  EXPECT_TRUE(node_->Dataset(coll_, "r").ok());
}

TEST_F(NodeLimitsTest, SignedCommitsAtAndPastKMaxCommitBytes) {
  const std::string digest = DigestOf(*node_, coll_);
  const uint64_t rejected = node_->counters().commits_rejected;
  std::string past = CommitOfSize(1);
  ASSERT_EQ(past.size(), kMaxCommitBytes + 1);
  ReceiveOutcome out = node_->Receive(past);
  EXPECT_EQ(out.status, ReceiveStatus::kRejected);
  EXPECT_THAT(out.reason, HasSubstr("commit is larger than 8388608 bytes, the limit (kMaxCommitBytes)"));
  EXPECT_EQ(node_->counters().commits_rejected, rejected + 1);
  EXPECT_EQ(DigestOf(*node_, coll_), digest);
  EXPECT_EQ(node_->Version(coll_).Get(writer_->identity().public_key()), 0u);

  std::string at = CommitOfSize(0);
  ASSERT_EQ(at.size(), kMaxCommitBytes);
  out = node_->Receive(at);
  EXPECT_EQ(out.status, ReceiveStatus::kApplied) << out.reason;
  EXPECT_EQ(node_->Version(coll_).Get(writer_->identity().public_key()), 1u);
}

TEST_F(NodeLimitsTest, ThePendingSetHoldsKMaxPendingCommitsAndRefusesTheNext) {
  // The writer's seq 2, 3, ... without seq 1: each waits for it.
  const std::string author = writer_->identity().public_key();
  const std::string digest = DigestOf(*node_, coll_);
  const NodeCounters before = node_->counters();
  VersionVector base = writer_->Version(coll_);
  std::string next;
  for (uint64_t seq = 2; seq <= kMaxPendingCommits + 2; ++seq) {
    base.Set(author, seq - 1);
    next = Serialized(writer_->BuildCommit(coll_, base, {UpsertOp("t", {Int(1)}, {{"a", Str("gap")}})}, ""));
    if (seq == kMaxPendingCommits + 2) break;
    ASSERT_EQ(node_->Receive(next).status, ReceiveStatus::kPending) << "seq " << seq;
  }
  EXPECT_EQ(node_->counters().commits_pending, before.commits_pending + kMaxPendingCommits);
  ReceiveOutcome out = node_->Receive(next);
  EXPECT_EQ(out.status, ReceiveStatus::kRejected);
  EXPECT_THAT(out.reason, HasSubstr("pending set full: 4096 commits, the limit (kMaxPendingCommits)"));
  EXPECT_EQ(node_->counters().commits_pending, before.commits_pending + kMaxPendingCommits);
  EXPECT_EQ(DigestOf(*node_, coll_), digest);
  EXPECT_EQ(node_->Version(coll_).Get(author), 0u);
}

// A SyncSession of node_ facing the writer, past its Hello.
class SessionLimitsTest : public NodeLimitsTest {
 protected:
  void Hello(SyncSession& s, uint64_t credit) {
    v1::Envelope hello;
    hello.mutable_hello()->set_protocol_version(kProtocolVersion);
    hello.mutable_hello()->set_node_id(writer_->identity().node_id());
    hello.mutable_hello()->set_initial_credit(credit);
    s.Start();
    s.OnFrame(hello.SerializeAsString());
  }
  void Have(SyncSession& s, const std::string& coll) {
    v1::Envelope have;
    have.mutable_have()->set_collection(coll);
    s.OnFrame(have.SerializeAsString());
  }
  Pipe out_;
};

TEST_F(SessionLimitsTest, InitialCreditBelowKMaxCommitBytesCloses) {
  {
    SyncSession s(*node_, writer_->identity().node_id(), {}, out_);
    Hello(s, kMaxCommitBytes);
    Have(s, coll_);
    EXPECT_FALSE(out_.closed) << out_.reason;
  }
  Pipe below;
  SyncSession s(*node_, writer_->identity().node_id(), {}, below);
  Hello(s, kMaxCommitBytes - 1);
  EXPECT_TRUE(below.closed);
  EXPECT_EQ(below.code, kCloseProtocolError);
  EXPECT_THAT(below.reason, HasSubstr("(8388608 bytes, kMaxCommitBytes)"));
}

TEST_F(SessionLimitsTest, CommitsStreamInFramesFilledUpToKBatchBytes) {
  for (int i = 0; i < 7; ++i) {  // about 300 KB each: three to a frame
    ASSERT_EQ(Refusal({UpsertOp("t", {Int(i)}, {{"a", Str(std::string(300'000, 'x'))}})}), "");
  }
  // One commit larger than a batch goes alone.
  ASSERT_EQ(Refusal({UpsertOp("t", {Int(10)}, {{"a", Str(std::string(kMaxCellBytes, 'y'))}}),
                     UpsertOp("t", {Int(11)}, {{"a", Str(std::string(kMaxCellBytes / 2, 'z'))}})}),
            "");
  SyncSession s(*node_, writer_->identity().node_id(), {}, out_);
  Hello(s, kInitialCreditBytes);
  Have(s, coll_);
  ASSERT_FALSE(out_.closed) << out_.reason;
  std::vector<std::vector<size_t>> frames;  // the commit sizes of each Commits frame
  size_t commits = 0;
  for (const auto& f : out_.frames) {
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(f));
    if (!env.has_commits()) continue;
    auto& sizes = frames.emplace_back();
    for (const auto& sc : env.commits().commits()) sizes.push_back(sc.ByteSizeLong());
    commits += sizes.size();
  }
  EXPECT_EQ(commits, AllCommits(*node_, coll_).size());
  ASSERT_GE(frames.size(), 4u);
  for (size_t i = 0; i < frames.size(); ++i) {
    size_t bytes = 0;
    for (size_t n : frames[i]) bytes += n;
    SCOPED_TRACE("frame " + std::to_string(i));
    if (frames[i].size() > 1) {
      EXPECT_LE(bytes, kBatchBytes);
    }
    // Full: the next frame's first commit did not fit.
    if (i + 1 < frames.size()) {
      EXPECT_GT(bytes + frames[i + 1].front(), kBatchBytes);
    }
  }
}

TEST_F(SessionLimitsTest, HavesForKMaxPeerCollectionsPassAndOneMoreCloses) {
  SyncSession s(*node_, writer_->identity().node_id(), {}, out_);
  Hello(s, kInitialCreditBytes);
  Have(s, coll_);  // the one collection held here counts too
  for (uint32_t n = 1; n < kMaxPeerCollections; ++n) {
    std::string other(16, '\x5a');
    for (int i = 0; i < 4; ++i) other[i] = static_cast<char>(n >> (8 * i));
    Have(s, other);
    ASSERT_FALSE(out_.closed) << "closed at collection " << n + 1 << ": " << out_.reason;
  }
  Have(s, coll_);  // a repeat is no new collection
  EXPECT_FALSE(out_.closed) << out_.reason;
  Have(s, std::string(16, '\x01'));
  EXPECT_TRUE(out_.closed);
  EXPECT_EQ(out_.code, kClosePolicyViolation);
  EXPECT_THAT(out_.reason, HasSubstr("more than 1024 collections in one session (kMaxPeerCollections)"));
}

}  // namespace
}  // namespace kongsi::node
