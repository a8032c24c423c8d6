// The merge of one record (DESIGN §4, normative), tested on the pure
// functions of node/record_merge.h.
#include "node/record_merge.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "node/store_keys.h"
#include "tests/node/test_cluster.h"

namespace kongsi::node {
namespace {

using testing::OpAt;

// Author keys in byte order: kA < kB < kC.
const std::string kA(32, 'a');
const std::string kB(32, 'b');
const std::string kC(32, 'c');

VersionVector Vv(std::initializer_list<std::pair<std::string, uint64_t>> entries) {
  VersionVector vv;
  for (const auto& [a, s] : entries) vv.Set(a, s);
  return vv;
}

v1::Value S(const std::string& s) {
  v1::Value v;
  v.set_string_value(s);
  return v;
}
v1::Value I(int64_t i) {
  v1::Value v;
  v.set_integer_value(i);
  return v;
}

v1::Upsert Up(std::vector<std::pair<std::string, v1::Value>> cells, int64_t key = 1) {
  v1::Upsert u;
  u.set_dataset("t");
  *u.add_key() = I(key);
  for (auto& [f, v] : cells) {
    auto* c = u.add_cells();
    c->set_field(f);
    *c->mutable_value() = v;
  }
  return u;
}

// An op to apply: an upsert, or a delete when `upsert` is empty.
struct Step {
  std::optional<v1::Upsert> upsert;
  OpPoint at;
};

void Apply(v1::RecordState* r, const Step& s) {
  if (s.upsert) {
    ApplyUpsert(r, *s.upsert, s.at);
  } else {
    ApplyDelete(r, s.at);
  }
}

v1::RecordState ApplyAll(const std::vector<Step>& steps) {
  v1::RecordState r;
  for (const auto& s : steps) Apply(&r, s);
  return r;
}

// The visible value of `field` ("<null>" when null or hidden by a delete,
// "<absent>" when the record never had the cell).
std::string Visible(const v1::RecordState& r, const std::string& field) {
  const v1::CellState* c = FindCell(r, field);
  if (!c) return "<absent>";
  CellView v = ViewCell(r, *c);
  if (!v.visible || c->value().kind_case() == v1::Value::KIND_NOT_SET) return "<null>";
  if (c->value().has_string_value()) return c->value().string_value();
  return std::to_string(c->value().integer_value());
}

std::vector<std::string> ConflictValues(const v1::RecordState& r, const std::string& field) {
  std::vector<std::string> out;
  const v1::CellState* c = FindCell(r, field);
  if (!c) return out;
  for (const auto* w : ViewCell(r, *c).conflicts) {
    out.push_back(w->value().has_string_value() ? w->value().string_value()
                                                : std::to_string(w->value().integer_value()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every order of `steps` that keeps the ops of one commit in their commit
// order gives byte-identical state; returns that state.
v1::RecordState ApplyInEveryOrder(std::vector<Step> steps) {
  std::vector<size_t> order(steps.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::string first;
  v1::RecordState first_state;
  int orders = 0;
  do {
    bool commit_order_kept = true;
    for (size_t i = 0; i < order.size() && commit_order_kept; ++i) {
      for (size_t j = i + 1; j < order.size(); ++j) {
        const OpPoint& x = steps[order[i]].at;
        const OpPoint& y = steps[order[j]].at;
        if (x.author == y.author && x.seq == y.seq && x.index > y.index) commit_order_kept = false;
      }
    }
    if (!commit_order_kept) continue;
    v1::RecordState r;
    for (size_t i : order) Apply(&r, steps[i]);
    std::string bytes = r.SerializeAsString();
    if (orders++ == 0) {
      first = bytes;
      first_state = r;
    } else {
      EXPECT_EQ(bytes, first) << "order-dependent state; order #" << orders;
    }
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_GT(orders, 0);
  return first_state;
}

TEST(MergeTest, LastWriterWinsByHlcWhateverTheOrder) {
  // Concurrent writes (neither saw the other): the greater hlc wins.
  Step a{Up({{"x", S("from-a")}}), OpAt(kA, 1, 200)};
  Step b{Up({{"x", S("from-b")}}), OpAt(kB, 1, 100)};
  v1::RecordState r = ApplyInEveryOrder({a, b});
  EXPECT_EQ(Visible(r, "x"), "from-a");
  const v1::CellState* c = FindCell(r, "x");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->by().author(), kA);
  EXPECT_EQ(c->by().seq(), 1u);
  EXPECT_EQ(c->by().hlc(), 200u);
  EXPECT_TRUE(IsLive(r));
}

TEST(MergeTest, EqualHlcIsBrokenByAuthor) {
  Step a{Up({{"x", S("from-a")}}), OpAt(kA, 1, 100)};
  Step b{Up({{"x", S("from-b")}}), OpAt(kB, 1, 100)};
  v1::RecordState r = ApplyInEveryOrder({a, b});
  EXPECT_EQ(Visible(r, "x"), "from-b");  // kB > kA
  EXPECT_EQ(FindCell(r, "x")->by().author(), kB);
}

TEST(MergeTest, CompareStampsIsHlcThenAuthor) {
  v1::Provenance p, q;
  p.set_hlc(5);
  p.set_author(kB);
  q.set_hlc(6);
  q.set_author(kA);
  EXPECT_LT(CompareStamps(p, q), 0);
  EXPECT_GT(CompareStamps(q, p), 0);
  q.set_hlc(5);
  EXPECT_GT(CompareStamps(p, q), 0);
  q.set_author(kB);
  q.set_seq(9);  // seq is not part of the stamp
  EXPECT_EQ(CompareStamps(p, q), 0);
}

TEST(MergeTest, PartialUpsertLeavesOtherCells) {
  Step first{Up({{"x", S("x1")}, {"y", S("y1")}}), OpAt(kA, 1, 100)};
  Step second{Up({{"y", S("y2")}}), OpAt(kA, 2, 200)};
  v1::RecordState r = ApplyAll({first, second});
  EXPECT_EQ(Visible(r, "x"), "x1");
  EXPECT_EQ(Visible(r, "y"), "y2");
  EXPECT_EQ(FindCell(r, "x")->by().seq(), 1u);
  EXPECT_EQ(FindCell(r, "y")->by().seq(), 2u);
  // Cells stay sorted by field name.
  ASSERT_EQ(r.cells_size(), 2);
  EXPECT_EQ(r.cells(0).field(), "x");
  EXPECT_EQ(r.cells(1).field(), "y");
  EXPECT_EQ(Visible(r, "z"), "<absent>");
}

TEST(MergeTest, DeleteBeatsOlderUpserts) {
  Step up_a{Up({{"x", S("x1")}}), OpAt(kA, 1, 100)};
  Step up_b{Up({{"y", S("y1")}}), OpAt(kB, 1, 150)};  // concurrent with the delete, older stamp
  Step del{std::nullopt, OpAt(kC, 1, 200, Vv({{kA, 1}}))};
  v1::RecordState r = ApplyInEveryOrder({up_a, up_b, del});
  EXPECT_TRUE(r.deleted());
  EXPECT_FALSE(IsLive(r));
  EXPECT_EQ(r.last_delete().author(), kC);
  EXPECT_EQ(Visible(r, "x"), "<null>");
  EXPECT_EQ(Visible(r, "y"), "<null>");
}

TEST(MergeTest, ConcurrentNewerUpsertBeatsDelete) {
  Step up{Up({{"x", S("x1")}}), OpAt(kA, 1, 100)};
  Step del{std::nullopt, OpAt(kC, 1, 200, Vv({{kA, 1}}))};
  Step newer{Up({{"y", S("y1")}}), OpAt(kB, 1, 300, Vv({{kA, 1}}))};  // did not see the delete
  v1::RecordState r = ApplyInEveryOrder({up, del, newer});
  EXPECT_FALSE(r.deleted());
  EXPECT_TRUE(IsLive(r));
  EXPECT_EQ(Visible(r, "y"), "y1");
  EXPECT_EQ(Visible(r, "x"), "<null>");  // x1 is older than the delete
}

TEST(MergeTest, ReupsertAfterDeleteShowsOnlyTheNewCells) {
  Step up{Up({{"x", S("x1")}, {"y", S("y1")}}), OpAt(kA, 1, 100)};
  Step del{std::nullopt, OpAt(kA, 2, 200)};
  Step again{Up({{"y", S("y3")}}), OpAt(kA, 3, 300)};
  v1::RecordState r = ApplyAll({up, del});
  EXPECT_TRUE(r.deleted());
  r = ApplyAll({up, del, again});
  EXPECT_FALSE(r.deleted());
  EXPECT_TRUE(IsLive(r));
  EXPECT_EQ(Visible(r, "y"), "y3");
  EXPECT_EQ(Visible(r, "x"), "<null>");  // not resurrected
  EXPECT_TRUE(ConflictValues(r, "x").empty());
  EXPECT_TRUE(ConflictValues(r, "y").empty());
}

TEST(MergeTest, ConcurrentWritesToOneCellListOneConflict) {
  Step a{Up({{"x", S("from-a")}}), OpAt(kA, 1, 100)};
  Step b{Up({{"x", S("from-b")}}), OpAt(kB, 1, 200)};
  v1::RecordState r = ApplyInEveryOrder({a, b});
  EXPECT_EQ(Visible(r, "x"), "from-b");
  EXPECT_EQ(ConflictValues(r, "x"), std::vector<std::string>{"from-a"});
  const v1::CellState* c = FindCell(r, "x");
  CellView view = ViewCell(r, *c);
  ASSERT_EQ(view.conflicts.size(), 1u);
  EXPECT_EQ(view.conflicts[0]->by().author(), kA);
  EXPECT_EQ(view.conflicts[0]->by().hlc(), 100u);
}

TEST(MergeTest, ACausallyLaterWriteClearsTheConflict) {
  Step a{Up({{"x", S("from-a")}}), OpAt(kA, 1, 100)};
  Step b{Up({{"x", S("from-b")}}), OpAt(kB, 1, 200)};
  // C saw both and resolves the cell.
  Step c{Up({{"x", S("resolved")}}), OpAt(kC, 1, 300, Vv({{kA, 1}, {kB, 1}}))};
  v1::RecordState r = ApplyInEveryOrder({a, b, c});
  EXPECT_EQ(Visible(r, "x"), "resolved");
  EXPECT_TRUE(ConflictValues(r, "x").empty());
  EXPECT_EQ(FindCell(r, "x")->frontier_size(), 1);
}

TEST(MergeTest, AWriteThatSawOnlyOneSideKeepsTheOtherAsConflict) {
  Step a{Up({{"x", S("from-a")}}), OpAt(kA, 1, 100)};
  Step b{Up({{"x", S("from-b")}}), OpAt(kB, 1, 200)};
  Step c{Up({{"x", S("from-c")}}), OpAt(kC, 1, 300, Vv({{kB, 1}}))};  // saw B only
  v1::RecordState r = ApplyInEveryOrder({a, b, c});
  EXPECT_EQ(Visible(r, "x"), "from-c");
  EXPECT_EQ(ConflictValues(r, "x"), std::vector<std::string>{"from-a"});
}

TEST(MergeTest, AWriteToAnotherCellDoesNotClearAConflict) {
  Step a{Up({{"x", S("from-a")}}), OpAt(kA, 1, 100)};
  Step b{Up({{"x", S("from-b")}}), OpAt(kB, 1, 200)};
  Step c{Up({{"y", S("other")}}), OpAt(kC, 1, 300, Vv({{kA, 1}, {kB, 1}}))};
  v1::RecordState r = ApplyInEveryOrder({a, b, c});
  EXPECT_EQ(ConflictValues(r, "x"), std::vector<std::string>{"from-a"});
  EXPECT_TRUE(ConflictValues(r, "y").empty());
}

TEST(MergeTest, SameValueConcurrentWritesAreNotConflicts) {
  Step a{Up({{"x", S("same")}}), OpAt(kA, 1, 100)};
  Step b{Up({{"x", S("same")}}), OpAt(kB, 1, 200)};
  v1::RecordState r = ApplyInEveryOrder({a, b});
  EXPECT_EQ(Visible(r, "x"), "same");
  EXPECT_TRUE(ConflictValues(r, "x").empty());
  // A third, different value is one conflict; the duplicate winner is not.
  Step c{Up({{"x", S("different")}}), OpAt(kC, 1, 50)};
  r = ApplyInEveryOrder({a, b, c});
  EXPECT_EQ(Visible(r, "x"), "same");
  EXPECT_EQ(ConflictValues(r, "x"), std::vector<std::string>{"different"});
}

TEST(MergeTest, LaterOpOfOneCommitWins) {
  // Two ops of commit (A, 1): same stamp, op 1 follows op 0.
  Step op0{Up({{"x", S("first")}, {"y", S("y0")}}), OpAt(kA, 1, 100, {}, 0)};
  Step op1{Up({{"x", S("second")}}), OpAt(kA, 1, 100, {}, 1)};
  v1::RecordState r = ApplyAll({op0, op1});
  EXPECT_EQ(Visible(r, "x"), "second");
  EXPECT_EQ(Visible(r, "y"), "y0");
  EXPECT_TRUE(ConflictValues(r, "x").empty());
  ASSERT_EQ(FindCell(r, "x")->frontier_size(), 1);
  EXPECT_EQ(FindCell(r, "x")->frontier(0).op_index(), 1u);
}

// Within one commit a Delete and an Upsert of the same record have equal
// stamps; the op index decides (the later op wins). Regression: comparing
// stamps alone left Upsert-then-Delete live.
TEST(MergeTest, UpsertThenDeleteInOneCommitDeletesTheRecord) {
  Step up{Up({{"x", S("x1")}}), OpAt(kA, 1, 100, {}, 0)};
  Step del{std::nullopt, OpAt(kA, 1, 100, {}, 1)};
  v1::RecordState r = ApplyAll({up, del});
  EXPECT_TRUE(r.deleted()) << "the delete is the later op of the commit";
  EXPECT_FALSE(IsLive(r));
  EXPECT_EQ(Visible(r, "x"), "<null>");
}

// Regression: Delete-then-Upsert in one commit left the record live but hid
// the upserted cells (cell stamp == delete stamp was treated as "not newer").
TEST(MergeTest, DeleteThenUpsertInOneCommitShowsTheNewCells) {
  Step old{Up({{"x", S("x0")}, {"y", S("y0")}}), OpAt(kA, 1, 100)};
  Step del{std::nullopt, OpAt(kA, 2, 200, {}, 0)};
  Step up{Up({{"y", S("y2")}}), OpAt(kA, 2, 200, {}, 1)};
  v1::RecordState r = ApplyAll({old, del, up});
  EXPECT_FALSE(r.deleted());
  EXPECT_TRUE(IsLive(r));
  EXPECT_EQ(Visible(r, "y"), "y2") << "the upsert is the later op of the commit";
  EXPECT_EQ(Visible(r, "x"), "<null>");
}

TEST(MergeTest, DeleteFollowingConcurrentWritesClearsTheirConflict) {
  Step a{Up({{"x", S("from-a")}}), OpAt(kA, 1, 100)};
  Step b{Up({{"x", S("from-b")}}), OpAt(kB, 1, 200)};
  Step del{std::nullopt, OpAt(kC, 1, 300, Vv({{kA, 1}, {kB, 1}}))};
  Step again{Up({{"x", S("new")}}), OpAt(kC, 2, 400, Vv({{kA, 1}, {kB, 1}}))};
  v1::RecordState r = ApplyInEveryOrder({a, b, del, again});
  EXPECT_EQ(Visible(r, "x"), "new");
  EXPECT_TRUE(ConflictValues(r, "x").empty());
}

TEST(MergeTest, ManyOpsGiveTheSameBytesInEveryCausalOrder) {
  // Three authors, overlapping cells, a delete and a resolution: 6! orders.
  std::vector<Step> steps = {
      {Up({{"x", S("a1")}, {"y", I(1)}}), OpAt(kA, 1, 100)},
      {Up({{"x", S("b1")}}), OpAt(kB, 1, 110)},
      {Up({{"y", I(2)}, {"z", S("b2")}}), OpAt(kB, 2, 120)},
      {std::nullopt, OpAt(kC, 1, 130, Vv({{kA, 1}}))},
      {Up({{"z", S("c2")}}), OpAt(kC, 2, 140, Vv({{kA, 1}}))},
      {Up({{"x", S("a2")}}), OpAt(kA, 2, 150, Vv({{kB, 2}}))},
  };
  v1::RecordState r = ApplyInEveryOrder(steps);
  EXPECT_TRUE(IsLive(r));
  EXPECT_EQ(Visible(r, "x"), "a2");  // A:2 saw B's writes; newer than the delete
  EXPECT_EQ(Visible(r, "y"), "<null>");  // 120 < delete at 130
  EXPECT_EQ(Visible(r, "z"), "c2");
  EXPECT_EQ(ConflictValues(r, "z"), std::vector<std::string>{});  // b2 is older than the delete
  EXPECT_TRUE(ConflictValues(r, "x").empty());
}

TEST(MergeTest, CellVisibleAgreesWithViewCell) {
  v1::RecordState r;
  ApplyUpsert(&r, Up({{"x", S("old")}}), OpAt(kA, 1, 100));
  ApplyDelete(&r, OpAt(kA, 2, 200));
  ApplyUpsert(&r, Up({{"y", S("new")}}), OpAt(kA, 3, 300));
  const v1::CellState* x = FindCell(r, "x");
  const v1::CellState* y = FindCell(r, "y");
  ASSERT_NE(x, nullptr);
  ASSERT_NE(y, nullptr);
  EXPECT_FALSE(CellVisible(r, *x));  // older than the delete
  EXPECT_TRUE(CellVisible(r, *y));
  EXPECT_EQ(CellVisible(r, *x), ViewCell(r, *x).visible);
  EXPECT_EQ(CellVisible(r, *y), ViewCell(r, *y).visible);
}

TEST(MergeTest, SerializeRecordOpMatchesTheCopiedMessage) {
  v1::RecordOp head;
  head.mutable_by()->set_author(kA);
  head.mutable_by()->set_seq(7);
  head.mutable_by()->set_hlc(123456789);
  head.set_op_index(4242);
  // An op over 127 bytes, so its length takes a multi-byte varint.
  v1::Op op;
  *op.mutable_upsert() = Up({{"x", S(std::string(300, 'v'))}, {"y", I(-5)}}, 99);
  for (const v1::Op& o : {op, v1::Op()}) {
    v1::RecordOp whole = head;
    *whole.mutable_op() = o;
    std::string out = "stale";
    EXPECT_EQ(SerializeRecordOp(head, o, &out), whole.SerializeAsString());
    v1::RecordOp back;
    ASSERT_TRUE(back.ParseFromString(out));
    EXPECT_EQ(back.op().SerializeAsString(), o.SerializeAsString());
    EXPECT_EQ(back.op_index(), 4242u);
  }
}

TEST(MergeTest, ARecordOpReadsItsAuthorSeqAndIndexFromItsKey) {
  const std::string rkey = keys::Record(std::string(16, 'c'), "spending", "\x05key");
  const std::string key = keys::RecordOp(rkey, kB, 7, 4242);
  v1::Op op;
  *op.mutable_upsert() = Up({{"x", S("v")}}, 99);
  // What the applier writes (the hlc and the op) and what it wrote before
  // (every field): both read back whole, the key's parts winning.
  v1::RecordOp slim;
  slim.mutable_by()->set_hlc(123456789);
  v1::RecordOp full = slim;
  full.mutable_by()->set_author(kB);
  full.mutable_by()->set_seq(7);
  full.set_op_index(4242);
  std::string bytes;
  for (const v1::RecordOp* head : {&slim, &full}) {
    v1::RecordOp back;
    ASSERT_TRUE(ParseRecordOp(key, SerializeRecordOp(*head, op, &bytes), &back).ok());
    EXPECT_EQ(back.by().author(), kB);
    EXPECT_EQ(back.by().seq(), 7u);
    EXPECT_EQ(back.by().hlc(), 123456789u);
    EXPECT_EQ(back.op_index(), 4242u);
    EXPECT_EQ(back.op().SerializeAsString(), op.SerializeAsString());
  }
  const size_t slim_size = SerializeRecordOp(slim, op, &bytes).size();
  EXPECT_LT(slim_size + 38, SerializeRecordOp(full, op, &bytes).size());
  v1::RecordOp back;
  const std::string short_key = key.substr(key.size() - 47);
  EXPECT_EQ(ParseRecordOp(short_key, bytes, &back).code(), Status::Code::kCorruption);
  EXPECT_EQ(ParseRecordOp(key, "\xff\xff", &back).code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace kongsi::node
