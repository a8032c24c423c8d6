// The stored form of a record (node/record_codec.h): it decodes to exactly
// the state that was encoded, it is smaller where it should be, and a data
// dir written in the full form is migrated to the same bytes and digest.
#include "node/record_codec.h"

#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "node/record_merge.h"
#include "node/store_keys.h"
#include "tests/node/test_cluster.h"

namespace kongsi::node {
namespace {

using testing::Int;
using testing::Null;
using testing::Num;
using testing::OpAt;
using testing::Str;

const std::string kA(32, 'a');
const std::string kB(32, 'b');

v1::Upsert Row(std::vector<std::pair<std::string, v1::Value>> cells) {
  return testing::UpsertOp("t", {Int(1)}, std::move(cells)).upsert();
}

// Encodes a copy of `state`, decodes it and expects the very same bytes,
// and the same visibility of each cell read from the stored form unexpanded
// (as the importer's diff reads it). Returns the stored bytes.
std::string RoundTrip(const v1::RecordState& state) {
  v1::RecordState copy = state;
  std::string stored;
  EncodeRecordState(&copy, &stored);
  v1::RecordState back;
  Status s = DecodeRecordState(stored, &back);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(back.SerializeAsString(), state.SerializeAsString());
  v1::RecordState raw;
  EXPECT_TRUE(raw.ParseFromString(stored));
  for (const v1::CellState& cell : raw.cells()) {
    const v1::CellState* full = FindCell(state, cell.field());
    EXPECT_NE(full, nullptr) << cell.field();
    if (full) {
      EXPECT_EQ(CellVisible(raw, cell), CellVisible(state, *full)) << cell.field();
    }
  }
  return stored;
}

TEST(RecordCodecTest, AFreshRowIsStoredOnceAndDecodesToTheSameState) {
  v1::RecordState r;
  VersionVector deps;
  deps.Set(kB, 4);
  ApplyUpsert(&r, Row({{"amount", Num(12.5)}, {"name", Str("Acme Ltd")}, {"note", Null()}}),
              OpAt(kA, 3, 100, deps));
  std::string stored = RoundTrip(r);
  EXPECT_LT(stored.size() * 2, r.ByteSizeLong());
  v1::RecordState raw;
  ASSERT_TRUE(raw.ParseFromString(stored));
  for (const auto& cell : raw.cells()) {
    EXPECT_TRUE(cell.from_last_upsert()) << cell.field();
    EXPECT_EQ(cell.frontier_size(), 0) << cell.field();
  }
  EXPECT_EQ(raw.last_upsert_deps_size(), 2);
}

TEST(RecordCodecTest, EveryShapeOfStateRoundTrips) {
  VersionVector seen_a;
  seen_a.Set(kA, 1);
  // An older write kept beside a newer one, concurrent writes (a conflict),
  // a delete and what it hides, a re-upsert, two ops of one commit.
  std::vector<std::vector<std::pair<v1::Upsert, OpPoint>>> histories = {
      {{Row({{"x", Int(1)}, {"y", Int(2)}}), OpAt(kA, 1, 10)},
       {Row({{"x", Int(3)}}), OpAt(kA, 2, 20)}},
      {{Row({{"x", Int(1)}}), OpAt(kA, 1, 10)}, {Row({{"x", Int(2)}}), OpAt(kB, 1, 11)}},
      {{Row({{"x", Int(1)}}), OpAt(kA, 1, 10)},
       {Row({{"x", Int(5)}, {"z", Str("z")}}), OpAt(kB, 1, 30, seen_a)}},
      {{Row({{"x", Int(1)}}), OpAt(kA, 1, 10, {}, 0)},
       {Row({{"y", Int(2)}}), OpAt(kA, 1, 10, {}, 1)}},
  };
  for (const auto& history : histories) {
    v1::RecordState r;
    for (const auto& [row, at] : history) ApplyUpsert(&r, row, at);
    RoundTrip(r);
    ApplyDelete(&r, OpAt(kB, 7, 40, seen_a));
    RoundTrip(r);
    ApplyUpsert(&r, Row({{"y", Str("back")}}), OpAt(kA, 9, 50));
    RoundTrip(r);
  }
}

// EncodeFirstUpsert must store exactly what the merge and the encoder store
// (the digest hashes these bytes): the same bytes for every row it takes,
// and it must take the rows of an ordinary import.
TEST(RecordCodecTest, AFirstUpsertBuiltDirectlyIsStoredAsTheMergeStoresIt) {
  VersionVector deps;
  deps.Set(kB, 4);
  deps.Set(kA, 2);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    std::vector<std::pair<std::string, v1::Value>> cells;
    bool direct;  // whether EncodeFirstUpsert takes it
  };
  std::vector<Case> cases = {
      {{{"amount", Num(12.5)}, {"name", Str("Acme Ltd, a supplier with a long name")},
        {"note", Null()}},
       true},
      {{{"z", Int(1)}, {"a", Int(2)}, {"m", Str("")}}, true},  // out of field order
      {{}, true},                                           // a key alone: no deps stored
      {{{"x", Int(1)}, {"x", Int(2)}}, false},              // a field twice
      {{{"x", Num(nan)}}, true},  // SameValue orders NaN like any number: compacted too
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const v1::Upsert row = Row(cases[i].cells);
    const OpPoint at = OpAt(kA, 3, 100, deps, 7);
    v1::RecordState merged;
    ApplyUpsert(&merged, row, at);
    const v1::RecordState full = merged;
    std::string want;
    EncodeRecordState(&merged, &want);

    v1::RecordState direct;
    ASSERT_EQ(EncodeFirstUpsert(row, at, &direct), cases[i].direct) << "case " << i;
    if (!cases[i].direct) {
      EXPECT_EQ(direct.ByteSizeLong(), 0u) << "case " << i << ": refused, the state stays empty";
      continue;
    }
    EXPECT_EQ(direct.SerializeAsString(), want) << "case " << i;
    ASSERT_TRUE(ExpandStoredForm(&direct).ok());
    EXPECT_EQ(direct.SerializeAsString(), full.SerializeAsString()) << "case " << i;
  }
}

TEST(RecordCodecTest, ACellThatNamesAMissingUpsertIsCorruption) {
  v1::RecordState r;
  auto* cell = r.add_cells();
  cell->set_field("amount");
  cell->set_from_last_upsert(true);
  v1::RecordState out;
  Status s = DecodeRecordState(r.SerializeAsString(), &out);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("amount"), std::string::npos) << s.ToString();
}

// A data dir whose records a build before the stored form wrote: every
// record in full and no format marker.
void RewriteInFullForm(storage::Db& db) {
  storage::WriteBatch batch(db);
  auto it = db.NewPrefixIterator(storage::Family::kRecords, "");
  for (; it->Valid(); it->Next()) {
    v1::RecordState state;
    ASSERT_TRUE(DecodeRecordState(it->value(), &state).ok());
    batch.Put(storage::Family::kRecords, it->key(), state.SerializeAsString());
  }
  ASSERT_TRUE(it->status().ok());
  batch.Delete(storage::Family::kMeta, "record_format");
  ASSERT_TRUE(db.Write(batch).ok());
}

std::vector<std::string> StoredRecords(const storage::Db& db) {
  std::vector<std::string> out;
  for (auto it = db.NewPrefixIterator(storage::Family::kRecords, ""); it->Valid(); it->Next()) {
    out.emplace_back(it->value());
  }
  return out;
}

TEST(RecordCodecTest, AFullFormDataDirIsMigratedToTheSameBytesAndDigest) {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("n");
  std::string coll, digest;
  std::vector<std::string> stored;
  {
    auto node = testing::InitNode(dir, "Watchdog");
    ASSERT_NE(node, nullptr);
    auto created = node->CreateCollection("budgets", "");
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    coll = *created;
    std::vector<v1::Op> ops{testing::CreateDatasetOp("t", testing::TestSchema())};
    for (int k = 0; k < 50; ++k) {
      ops.push_back(testing::UpsertOp("t", {Int(k)},
                                      {{"a", Str("row " + std::to_string(k))}, {"b", Int(k)}}));
    }
    ASSERT_TRUE(node->CommitOps(coll, std::move(ops), "rows").ok());
    std::vector<v1::Op> later{testing::UpsertOp("t", {Int(3)}, {{"a", Str("renamed")}}),
                              testing::DeleteOp("t", {Int(4)})};
    ASSERT_TRUE(node->CommitOps(coll, std::move(later), "edits").ok());
    digest = testing::DigestOf(*node, coll);
    stored = StoredRecords(node->db());
    RewriteInFullForm(node->db());
    EXPECT_NE(StoredRecords(node->db()), stored);  // the full form really is different bytes
    EXPECT_NE(testing::DigestOf(*node, coll), digest);
  }
  auto reopened = Node::Open(dir);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(StoredRecords((*reopened)->db()), stored);
  EXPECT_EQ(testing::DigestOf(**reopened, coll), digest);
}

// The applier builds a record one commit creates in the stored form
// directly (EncodeFirstUpsert); records the same commit touches again must
// still end as the merge says, in the one canonical stored form.
TEST(RecordCodecTest, NewRecordsACommitTouchesTwiceAreStoredAsTheMergeSays) {
  testing::TempDir tmp;
  auto node = testing::InitNode(tmp.Sub("n"), "Watchdog");
  ASSERT_NE(node, nullptr);
  auto coll = node->CreateCollection("budgets", "");
  ASSERT_TRUE(coll.ok()) << coll.status().ToString();
  std::vector<v1::Op> ops{
      testing::CreateDatasetOp("t", testing::TestSchema()),
      testing::UpsertOp("t", {Int(1)}, {{"a", Str("first")}, {"b", Int(1)}}),
      testing::UpsertOp("t", {Int(1)}, {{"a", Str("second")}}),  // same commit, later op wins
      testing::UpsertOp("t", {Int(2)}, {{"a", Str("gone")}}),
      testing::DeleteOp("t", {Int(2)}),
      testing::DeleteOp("t", {Int(3)}),  // a delete of a record never written
      testing::UpsertOp("t", {Int(4)}, {{"a", Str("once")}}),
  };
  ASSERT_TRUE(node->CommitOps(*coll, std::move(ops), "rows").ok());
  EXPECT_EQ(testing::ScanVisible(*node, *coll, "t"),
            (testing::VisibleTable{{"1", {{"a", "second"}, {"b", "1"}}}, {"4", {{"a", "once"}}}}));
  std::vector<std::string> stored = StoredRecords(node->db());
  EXPECT_EQ(stored.size(), 4u);  // 2 and 3 are kept as deleted records
  for (const std::string& bytes : stored) {
    v1::RecordState state;
    ASSERT_TRUE(DecodeRecordState(bytes, &state).ok());
    std::string again;
    EncodeRecordState(&state, &again);
    EXPECT_EQ(again, bytes);
  }
}

TEST(RecordCodecTest, ADataDirFromANewerFormIsRefused) {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("n");
  {
    auto node = testing::InitNode(dir, "Watchdog");
    ASSERT_NE(node, nullptr);
    storage::WriteBatch batch(node->db());
    batch.Put(storage::Family::kMeta, "record_format", "3");
    ASSERT_TRUE(node->db().Write(batch).ok());
  }
  auto reopened = Node::Open(dir);
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.status().ToString().find("newer Kongsi"), std::string::npos)
      << reopened.status().ToString();
}

}  // namespace
}  // namespace kongsi::node
