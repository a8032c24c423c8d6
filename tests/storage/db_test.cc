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

TEST_F(DbTest, ABatchMadeWithRoomHoldsAndWritesWhatAnyBatchDoes) {
  WriteBatch plain(*db_);
  WriteBatch roomy(*db_, 1u << 20);
  EXPECT_EQ(roomy.ByteSize(), plain.ByteSize());  // room is not content
  const std::string big(300000, 'x');
  for (WriteBatch* b : {&plain, &roomy}) {
    b->Put(Family::kRecords, "r", big);
    b->Delete(Family::kRecords, "gone");
  }
  EXPECT_EQ(roomy.Count(), 2u);
  EXPECT_EQ(roomy.ByteSize(), plain.ByteSize());
  ASSERT_TRUE(db_->Write(roomy).ok());
  std::string v;
  ASSERT_TRUE(db_->Get(Family::kRecords, "r", &v).ok());
  EXPECT_EQ(v, big);
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

// A scan (no block cache fill) sees what a prefix iterator
// sees: keys from SST files and the memtable, within the prefix, as of the
// snapshot.
TEST_F(DbTest, ScanIteratorReadsWhatAPrefixIteratorDoes) {
  WriteBatch flushed(*db_);
  for (int i = 0; i < 3000; ++i) {
    flushed.Put(Family::kRecords, "r" + std::to_string(100000 + i), std::string(300, 'a' + i % 26));
  }
  flushed.Put(Family::kRecords, "s1", "outside");
  ASSERT_TRUE(db_->Write(flushed).ok());
  ASSERT_TRUE(db_->Flush().ok());
  WriteBatch fresh(*db_);
  fresh.Put(Family::kRecords, "r100007", "changed");
  fresh.Delete(Family::kRecords, "r100008");
  ASSERT_TRUE(db_->Write(fresh).ok());
  auto snap = db_->NewSnapshot();
  WriteBatch later(*db_);
  later.Put(Family::kRecords, "r100009", "after the snapshot");
  ASSERT_TRUE(db_->Write(later).ok());

  auto read = [](std::unique_ptr<Iterator> it) {
    std::vector<std::pair<std::string, std::string>> out;
    for (; it->Valid(); it->Next()) out.emplace_back(it->key(), it->value());
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return out;
  };
  auto scanned = read(db_->NewScanIterator(Family::kRecords, "r", snap.get()));
  EXPECT_EQ(scanned, read(db_->NewPrefixIterator(Family::kRecords, "r", snap.get())));
  ASSERT_EQ(scanned.size(), 2999u);
  EXPECT_EQ(scanned[7].second, "changed");
  EXPECT_EQ(scanned[8].first, "r100009");
  EXPECT_EQ(scanned[8].second, std::string(300, 'a' + 9));
  EXPECT_EQ(scanned.back().first, "r102999");
}

// More keys than one slice of the batched lookup, every third one present,
// some flushed to an SST file and some still in the memtable.
TEST_F(DbTest, MultiGetVisitsEveryKeyInOrderWithItsValueOrNone) {
  auto key = [](int i) { return std::to_string(100000 + i); };
  WriteBatch b(*db_);
  for (int i = 0; i < 1300; i += 3) b.Put(Family::kRecords, key(i), "v" + std::to_string(i));
  ASSERT_TRUE(db_->Write(b).ok());
  ASSERT_TRUE(db_->Flush().ok());
  WriteBatch later(*db_);
  later.Put(Family::kRecords, key(1), "memtable");
  ASSERT_TRUE(db_->Write(later).ok());

  std::vector<std::string> keys;
  for (int i = 0; i < 1300; ++i) keys.push_back(key(i));
  std::vector<std::string> seen;
  Status s = db_->MultiGet(Family::kRecords, keys, [&](size_t i, const std::string_view* v) {
    EXPECT_EQ(i, seen.size());
    seen.push_back(v ? std::string(*v) : "<none>");
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(seen.size(), keys.size());
  for (int i = 0; i < 1300; ++i) {
    std::string want = i == 1 ? "memtable" : i % 3 == 0 ? "v" + std::to_string(i) : "<none>";
    EXPECT_EQ(seen[i], want) << i;
  }

  // The visitor's error ends the walk and is returned.
  size_t visits = 0;
  s = db_->MultiGet(Family::kRecords, keys, [&](size_t i, const std::string_view*) {
    ++visits;
    return i == 700 ? Status::Corruption("stop here") : Status::Ok();
  });
  EXPECT_EQ(s.message(), "stop here");
  EXPECT_EQ(visits, 701u);
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
