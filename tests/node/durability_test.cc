// Which writes wait for the disk (node/commit_applier.h, Durability): this
// node's own commits are fsynced before any peer can hear of them; commits
// from peers, and the commits of an import's staged chain, are not waited
// for one by one, and the publish mark never is.
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "node/importer.h"
#include "node/store_keys.h"
#include "test_cluster.h"

namespace kongsi::node {
namespace {

using testing::TempDir;

class DurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = testing::InitNode(dir_.Sub("a"), "a");
    b_ = testing::InitNode(dir_.Sub("b"), "b");
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
  }

  // Publishes a table of `rows` rows (id, v) into dataset "t" of `coll`.
  Result<PublishReport> PublishRows(const std::string& coll, size_t rows) {
    std::string path = dir_.Sub("t" + std::to_string(rows) + ".csv");
    std::ofstream out(path, std::ios::binary);
    out << "id,v\n";
    for (size_t i = 0; i < rows; ++i) out << i << ",value " << i << "\n";
    out.close();
    PublishOptions o;
    o.collection = coll;
    o.dataset = "t";
    o.key_columns = {"id"};
    return Publish(*a_, path, o);
  }

  TempDir dir_;
  std::unique_ptr<Node> a_, b_;
};

TEST_F(DurabilityTest, OwnCommitsAreFsyncedOneWriteEach) {
  uint64_t before = a_->db().SyncedWrites();
  auto coll = a_->CreateCollection("c", "");
  ASSERT_TRUE(coll.ok()) << coll.status().ToString();
  EXPECT_EQ(a_->db().SyncedWrites(), before + 1);  // the genesis

  // A one-commit publish: the commit is fsynced, its publish mark is not.
  before = a_->db().SyncedWrites();
  auto report = PublishRows(*coll, 3);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->commits, 1u);
  EXPECT_EQ(a_->db().SyncedWrites(), before + 1);
}

TEST_F(DurabilityTest, ReceivedCommitsDoNotWaitForTheDisk) {
  auto coll = a_->CreateCollection("c", "");
  ASSERT_TRUE(coll.ok()) << coll.status().ToString();
  ASSERT_TRUE(PublishRows(*coll, 3).ok());
  uint64_t before = b_->db().SyncedWrites();
  ASSERT_TRUE(testing::SyncInto(*a_, *b_, *coll));
  EXPECT_EQ(b_->Version(*coll), a_->Version(*coll));
  EXPECT_EQ(b_->db().SyncedWrites(), before);
}

TEST_F(DurabilityTest, AnImportChainWaitsForTheDiskTwiceWhateverItsLength) {
  auto coll = a_->CreateCollection("c", "");
  ASSERT_TRUE(coll.ok()) << coll.status().ToString();
  uint64_t before = a_->db().SyncedWrites();
  auto report = PublishRows(*coll, 3 * kChainOpsPerCommit);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_GE(report->commits, 4u);  // a CreateDataset op, then 7,500 rows
  // Once when the staged chain is complete, once when it has been applied.
  EXPECT_EQ(a_->db().SyncedWrites(), before + 2);
  EXPECT_EQ(testing::AllCommits(*a_, *coll).size(), report->commits + 1);
}

// An open reads the staging family only while a chain may be staged there
// (keys::kStagingInUse), or once for a data dir older than that key.
TEST_F(DurabilityTest, AnOpenLooksForAStagedImportOnlyWhileOneMayBeThere) {
  auto coll = a_->CreateCollection("c", "");
  ASSERT_TRUE(coll.ok()) << coll.status().ToString();
  auto report = PublishRows(*coll, 2 * kChainOpsPerCommit);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_GE(report->commits, 2u);  // a staged chain
  std::string in_use;
  ASSERT_TRUE(a_->db().Get(storage::Family::kMeta, keys::kStagingInUse, &in_use).ok());
  EXPECT_EQ(in_use, "0");

  // A stray staged commit (an import cut short), with the key as given.
  const std::string stray = std::string("import-stray") + '\0' + "n";
  auto reopen_with = [&](const char* mark) {
    storage::WriteBatch b(a_->db());
    b.Put(storage::Family::kStaging, stray, "bytes");
    if (mark) {
      b.Put(storage::Family::kMeta, keys::kStagingInUse, mark);
    } else {
      b.Delete(storage::Family::kMeta, keys::kStagingInUse);
    }
    EXPECT_TRUE(a_->db().Write(b).ok());
    a_.reset();
    auto reopened = Node::Open(dir_.Sub("a"));
    EXPECT_TRUE(reopened.ok()) << reopened.status().ToString();
    if (reopened.ok()) a_ = std::move(reopened).value();
    std::string ignored;
    return a_ && a_->db().Get(storage::Family::kStaging, stray, &ignored).ok();
  };
  EXPECT_FALSE(reopen_with("1")) << "may be staged: the open discards the cut-short chain";
  EXPECT_TRUE(reopen_with("0")) << "nothing staged: the open does not look";
  EXPECT_FALSE(reopen_with(nullptr)) << "an older data dir: the open looks once";
  ASSERT_TRUE(a_->db().Get(storage::Family::kMeta, keys::kStagingInUse, &in_use).ok());
  EXPECT_EQ(in_use, "0");
  EXPECT_EQ(testing::AllCommits(*a_, *coll).size(), report->commits + 1);  // and the genesis
}

}  // namespace
}  // namespace kongsi::node
