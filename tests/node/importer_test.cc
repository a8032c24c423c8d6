// kongsi publish into an existing dataset: the diff against the current
// records (rows in any order, new rows among old ones, changed and unchanged
// cells) makes exactly the changed cells' ops, and duplicate keys are found
// with the line of their first occurrence. An identical file into an
// unchanged collection is skipped (node/publish_mark.h), and only then.
#include "node/importer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "node/publish_mark.h"
#include "node/reader.h"
#include "node/record_merge.h"
#include "node/value_text.h"
#include "test_cluster.h"

namespace kongsi::node {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = testing::InitNode(dir_.Sub("n"), "n");
    ASSERT_NE(node_, nullptr);
    auto c = node_->CreateCollection("c", "");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    coll_ = *c;
  }

  std::string WriteFile(const std::string& text) {
    std::string path = dir_.Sub("in" + std::to_string(files_++) + ".csv");
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  PublishOptions Options(std::vector<std::string> key = {"id"}, const std::string& dataset = "t") {
    PublishOptions o;
    o.collection = coll_;
    o.dataset = dataset;
    o.key_columns = std::move(key);
    return o;
  }

  // These tests are about the row-by-row compare: an identical file is
  // compared too (recheck), not skipped.
  Result<PublishReport> PublishText(const std::string& text, std::vector<std::string> key = {"id"}) {
    PublishOptions o = Options(std::move(key));
    o.recheck = true;
    return Publish(*node_, WriteFile(text), o);
  }

  // The visible text of cell `field` of record `id` ("<none>" if no record).
  std::string Cell(int64_t id, const std::string& field) {
    Reader reader(*node_, coll_);
    google::protobuf::RepeatedPtrField<v1::Value> key;
    key.Add()->set_integer_value(id);
    auto r = reader.GetRecord("t", key, nullptr);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || !r->has_value() || !IsLive(**r)) return "<none>";
    const v1::CellState* c = FindCell(**r, field);
    if (!c || !CellVisible(**r, *c)) return "<null>";
    return RenderText(c->value());
  }

  TempDir dir_;
  std::unique_ptr<Node> node_;
  std::string coll_;
  int files_ = 0;
};

TEST_F(ImporterTest, RepublishInAnyOrderMakesOnlyTheChangedOps) {
  std::string table = "id,v,w\n";
  for (int i = 1; i <= 40; ++i) table += std::to_string(i * 10) + ",v" + std::to_string(i) + ",w\n";
  auto first = PublishText(table);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->created_dataset);
  EXPECT_EQ(first->rows_changed, 40u);

  // Unchanged, in reverse order: nothing to do.
  std::string reversed = "id,v,w\n";
  for (int i = 40; i >= 1; --i) reversed += std::to_string(i * 10) + ",v" + std::to_string(i) + ",w\n";
  auto same = PublishText(reversed);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->ops, 0u);
  EXPECT_EQ(same->commits, 0u);

  // New keys between, before and after old ones, a jump back, a far jump
  // forward, one changed cell, and rows that are unchanged.
  auto mixed = PublishText(
      "id,v,w\n"
      "5,new5,w\n"      // before every record
      "10,v1,w\n"       // unchanged
      "15,new15,w\n"    // between two records
      "20,v2,CHANGED\n" // one cell changed
      "390,v39,w\n"     // a jump forward past many records
      "30,v3,w\n"       // back again
      "400,v40,w\n"
      "999,new999,w\n"  // after every record
  );
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  EXPECT_EQ(mixed->rows_read, 8u);
  EXPECT_EQ(mixed->rows_changed, 4u);
  EXPECT_EQ(mixed->ops, 4u);
  EXPECT_EQ(Cell(5, "v"), "new5");
  EXPECT_EQ(Cell(15, "v"), "new15");
  EXPECT_EQ(Cell(999, "v"), "new999");
  EXPECT_EQ(Cell(20, "w"), "CHANGED");
  EXPECT_EQ(Cell(20, "v"), "v2");
  EXPECT_EQ(Cell(390, "v"), "v39");
  EXPECT_EQ(Cell(7, "v"), "<none>");
}

// The diff reads records in their stored form: a cell the last upsert wrote
// is visible, one an upsert before a delete wrote is not, so re-publishing
// the whole row writes back only what the delete hid.
TEST_F(ImporterTest, ARowDeletedAndPartlyWrittenAgainGetsBackOnlyWhatTheDeleteHid) {
  ASSERT_TRUE(PublishText("id,v,w\n10,v1,w1\n").ok());
  v1::Value id;
  id.set_integer_value(10);
  ASSERT_TRUE(node_->CommitOps(coll_, {testing::DeleteOp("t", {id})}, "delete 10").ok());
  auto partial = PublishText("id,v\n10,v1\n");
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  EXPECT_EQ(partial->ops, 1u);
  EXPECT_EQ(Cell(10, "w"), "<null>");

  auto whole = PublishText("id,v,w\n10,v1,w1\n");
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(whole->ops, 1u);
  EXPECT_EQ(Cell(10, "v"), "v1");
  EXPECT_EQ(Cell(10, "w"), "w1");
  auto again = PublishText("id,v,w\n10,v1,w1\n");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ops, 0u);
}

TEST_F(ImporterTest, DuplicateKeyNamesBothLinesAndChangesNothing) {
  auto r = PublishText("id,v\n1,a\n2,b\n3,c\n2,d\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("line 5"));
  EXPECT_THAT(r.status().message(), HasSubstr("same as line 3"));
  EXPECT_EQ(Cell(1, "v"), "<none>");
  auto d = node_->Dataset(coll_, "t");
  EXPECT_FALSE(d.ok());  // not even the dataset was made
}

// A re-publish into a dataset with the same columns has no types to infer,
// so the first error can come after commits were staged: it still names its
// line and changes nothing.
TEST_F(ImporterTest, ABadRowLateInARepublishChangesNothing) {
  const int rows = 2 * static_cast<int>(kChainOpsPerCommit) + 10;
  std::string table = "id,v\n", changed = "id,v\n";
  for (int i = 1; i <= rows; ++i) {
    table += std::to_string(i) + ",old\n";
    changed += std::to_string(i) + ",new\n";
  }
  ASSERT_TRUE(PublishText(table).ok());
  VersionVector before = node_->Version(coll_);
  auto bad = PublishText(changed + "12x,new\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("line " + std::to_string(rows + 2)));
  EXPECT_THAT(bad.status().message(), HasSubstr("\"id\""));
  EXPECT_EQ(node_->Version(coll_), before);
  EXPECT_FALSE(node_->db().NewPrefixIterator(storage::Family::kStaging, "")->Valid());
  EXPECT_EQ(Cell(1, "v"), "old");
  EXPECT_EQ(Cell(rows, "v"), "old");
}

// The op of an unchanged row is handed to the next row (ChainStager): each
// op holds exactly its own row's changed cells, across a chain of several
// commits, and an unchanged last row leaves no empty op behind.
TEST_F(ImporterTest, UnchangedRowsBetweenChangedOnesLeaveNothingInTheirOps) {
  const int rows = static_cast<int>(kChainOpsPerCommit) * 3 + 7;
  std::string table = "id,a,b\n", edited = "id,a,b\n";
  for (int i = 1; i <= rows; ++i) {
    std::string id = std::to_string(i);
    table += id + ",a" + id + ",b" + id + "\n";
    // Every third row changes only b; the rows between are unchanged.
    edited += id + ",a" + id + ",b" + id + (i % 3 == 0 ? "x" : "") + "\n";
  }
  ASSERT_TRUE(PublishText(table).ok());
  const size_t before = testing::AllCommits(*node_, coll_).size();
  auto r = PublishText(edited);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_changed, static_cast<uint64_t>(rows / 3));
  EXPECT_EQ(r->ops, static_cast<uint64_t>(rows / 3));
  auto commits = testing::AllCommits(*node_, coll_);
  ASSERT_EQ(commits.size(), before + r->commits);
  size_t ops = 0;
  for (size_t i = before; i < commits.size(); ++i) {
    v1::SignedCommit sc;
    v1::Commit c;
    ASSERT_TRUE(sc.ParseFromString(commits[i]) && c.ParseFromString(sc.commit()));
    for (const auto& op : c.ops()) {
      ++ops;
      ASSERT_EQ(op.upsert().cells_size(), 1) << op.ShortDebugString();
      EXPECT_EQ(op.upsert().cells(0).field(), "b");
      EXPECT_EQ(op.upsert().key(0).integer_value() % 3, 0);
    }
  }
  EXPECT_EQ(ops, r->ops);
  EXPECT_EQ(Cell(3, "b"), "b3x");
  EXPECT_EQ(Cell(4, "b"), "b4");
  EXPECT_EQ(Cell(rows, "a"), "a" + std::to_string(rows));
}

TEST_F(ImporterTest, RepeatedRowsOfAKeylessTableAreKeptApart) {
  auto r = PublishText("a,b\nx,1\ny,2\nx,1\nx,1\n", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->synthetic_key);
  EXPECT_EQ(r->rows_changed, 4u);
  // The same file again: the same synthetic keys, so nothing changes.
  auto again = PublishText("a,b\nx,1\ny,2\nx,1\nx,1\n", {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ops, 0u);
}

TEST_F(ImporterTest, AnIdenticalFileIntoAnUnchangedCollectionIsNotCompared) {
  const std::string table = "id,v\n1,a\n\n2,b\n3,c\n";
  const std::string path = WriteFile(table);
  auto first = Publish(*node_, path, Options());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->unchanged);

  // The same bytes under another name (a re-download, an API upload).
  auto again = Publish(*node_, WriteFile(table), Options());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->unchanged);
  EXPECT_EQ(again->ops, 0u);
  EXPECT_EQ(again->commits, 0u);
  EXPECT_EQ(again->rows_read, 3u);
  EXPECT_EQ(again->blank_rows_skipped, 1u);
  EXPECT_EQ(again->version, first->version);
  EXPECT_THAT(again->notes, ::testing::Contains(HasSubstr("--recheck")));

  // Asked to, it compares every row, and finds nothing either.
  PublishOptions recheck = Options();
  recheck.recheck = true;
  auto checked = Publish(*node_, path, recheck);
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_FALSE(checked->unchanged);
  EXPECT_EQ(checked->ops, 0u);
  EXPECT_EQ(checked->rows_read, 3u);
}

TEST_F(ImporterTest, AnyCommitSinceTheLastPublishMakesTheSameFileComparedAgain) {
  const std::string original = WriteFile("id,v\n1,a\n2,b\n");
  ASSERT_TRUE(Publish(*node_, original, Options()).ok());
  auto edited = Publish(*node_, WriteFile("id,v\n1,a\n2,EDITED\n"), Options());
  ASSERT_TRUE(edited.ok()) << edited.status().ToString();
  EXPECT_EQ(edited->ops, 1u);

  // The original file again: its mark is gone and the records differ, so
  // the compare runs and puts the cell back.
  auto back = Publish(*node_, original, Options());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(back->unchanged);
  EXPECT_EQ(back->ops, 1u);
  EXPECT_EQ(Cell(2, "v"), "b");

  // A commit to another dataset of the collection moves its version: the
  // same file is compared again (and changes nothing), then skipped.
  ASSERT_TRUE(Publish(*node_, WriteFile("id,w\n9,z\n"), Options({"id"}, "other")).ok());
  auto compared = Publish(*node_, original, Options());
  ASSERT_TRUE(compared.ok()) << compared.status().ToString();
  EXPECT_FALSE(compared->unchanged);
  EXPECT_EQ(compared->ops, 0u);
  auto skipped = Publish(*node_, original, Options());
  ASSERT_TRUE(skipped.ok()) << skipped.status().ToString();
  EXPECT_TRUE(skipped->unchanged);
}

TEST_F(ImporterTest, TheFingerprintCoversTheBytesAndTheReadingOptions) {
  const std::string path = WriteFile("id,v\n1,a\n");
  auto base = PublishFingerprint(path, Options());
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  EXPECT_EQ(base->size(), 32u);
  EXPECT_EQ(*PublishFingerprint(WriteFile("id,v\n1,a\n"), Options()), *base);
  EXPECT_NE(*PublishFingerprint(WriteFile("id,v\n1,b\n"), Options()), *base);
  EXPECT_NE(*PublishFingerprint(path, Options({"v"})), *base);
  EXPECT_NE(*PublishFingerprint(path, Options({"id", "v"})), *base);
  PublishOptions latin = Options();
  latin.encoding = "ISO-8859-1";
  EXPECT_NE(*PublishFingerprint(path, latin), *base);
  PublishOptions semicolon = Options();
  semicolon.delimiter = ';';
  EXPECT_NE(*PublishFingerprint(path, semicolon), *base);
  EXPECT_FALSE(PublishFingerprint(dir_.Sub("missing.csv"), Options()).ok());
}

}  // namespace
}  // namespace kongsi::node
