#include "storage/db.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace kongsi::storage {
namespace {

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kongsi-db-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto db = Db::Open(dir_.string(), {});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<Db> db_;
};

TEST_F(DbTest, BatchWritesAcrossFamiliesAtomically) {
  WriteBatch b(*db_);
  b.Put(Family::kCommits, "c1", "commit");
  b.Put(Family::kRecords, "r1", "record");
  ASSERT_TRUE(db_->Write(b).ok());
  std::string v;
  ASSERT_TRUE(db_->Get(Family::kCommits, "c1", &v).ok());
  EXPECT_EQ(v, "commit");
  ASSERT_TRUE(db_->Get(Family::kRecords, "r1", &v).ok());
  EXPECT_EQ(v, "record");
  // Families are separate key spaces.
  EXPECT_TRUE(db_->Get(Family::kRecords, "c1", &v).IsNotFound());
}

TEST_F(DbTest, PrefixIteratorStaysInsidePrefix) {
  WriteBatch b(*db_);
  for (std::string k : {"a1", "b1", "b2", "b\xff", "c1"}) b.Put(Family::kMeta, k, k);
  ASSERT_TRUE(db_->Write(b).ok());
  std::vector<std::string> seen;
  for (auto it = db_->NewPrefixIterator(Family::kMeta, "b"); it->Valid(); it->Next()) {
    seen.emplace_back(it->key());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"b1", "b2", "b\xff"}));
}

TEST_F(DbTest, SnapshotDoesNotSeeLaterWrites) {
  WriteBatch b(*db_);
  b.Put(Family::kMeta, "k", "old");
  ASSERT_TRUE(db_->Write(b).ok());
  auto snap = db_->NewSnapshot();
  WriteBatch b2(*db_);
  b2.Put(Family::kMeta, "k", "new");
  ASSERT_TRUE(db_->Write(b2).ok());
  std::string v;
  ASSERT_TRUE(db_->Get(Family::kMeta, "k", &v, snap.get()).ok());
  EXPECT_EQ(v, "old");
}

TEST_F(DbTest, CheckpointReopensWithSameData) {
  WriteBatch b(*db_);
  b.Put(Family::kTags, "t", "v1");
  ASSERT_TRUE(db_->Write(b).ok());
  auto cp = dir_.string() + "-cp";
  std::filesystem::remove_all(cp);
  ASSERT_TRUE(db_->Checkpoint(cp).ok());
  auto other = Db::Open(cp, {});
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  std::string v;
  ASSERT_TRUE((*other)->Get(Family::kTags, "t", &v).ok());
  EXPECT_EQ(v, "v1");
  other.value().reset();
  std::filesystem::remove_all(cp);
}

TEST(PrefixSuccessor, Basics) {
  EXPECT_EQ(PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(PrefixSuccessor("a\xff"), "b");
  EXPECT_EQ(PrefixSuccessor("\xff\xff"), "");
}

}  // namespace
}  // namespace kongsi::storage
