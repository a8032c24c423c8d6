// Schema histories (node/schema_history.h): the schema is a fold over the
// schema ops in a causal past, the same for any order the ops arrive in.
#include "node/schema_history.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace kongsi::node {
namespace {

const std::string kA(32, 'a');
const std::string kB(32, 'b');
const std::string kC(32, 'c');

// Op `index` of commit (author, seq) stamped `hlc`, having seen `deps`.
OpPoint At(const std::string& author, uint64_t seq, uint64_t hlc,
           std::initializer_list<std::pair<std::string, uint64_t>> deps = {}, uint32_t index = 0) {
  OpPoint p;
  p.author = author;
  p.seq = seq;
  p.index = index;
  p.hlc = hlc;
  for (const auto& [a, s] : deps) p.deps.Set(a, s);
  if (seq > 1) p.deps.Set(author, seq - 1);
  return p;
}

v1::Field FieldOf(const std::string& name, const std::string& type) {
  v1::Field f;
  f.set_name(name);
  f.set_type(type);
  return f;
}

v1::Schema SchemaOf(std::vector<std::pair<std::string, std::string>> fields,
                    const std::string& key) {
  v1::Schema s;
  for (const auto& [n, t] : fields) *s.add_fields() = FieldOf(n, t);
  s.add_primary_key(key);
  return s;
}

v1::Op Create(const std::string& name, const v1::Schema& schema) {
  v1::Op op;
  op.mutable_create_dataset()->set_name(name);
  *op.mutable_create_dataset()->mutable_schema() = schema;
  return op;
}

v1::Op AddField(const std::string& ds, const std::string& field, const std::string& type) {
  v1::Op op;
  op.mutable_add_field()->set_dataset(ds);
  *op.mutable_add_field()->mutable_field() = FieldOf(field, type);
  return op;
}

std::vector<std::string> FieldNames(const v1::Schema& s) {
  std::vector<std::string> out;
  for (const auto& f : s.fields()) out.push_back(f.name() + ":" + f.type());
  return out;
}

const v1::Schema kSchemaA = SchemaOf({{"id", "integer"}, {"a", "string"}}, "id");
const v1::Schema kSchemaB = SchemaOf({{"code", "string"}, {"b", "number"}}, "code");

struct Recorded {
  v1::Op op;
  OpPoint at;
};

// Two concurrent creates (A at hlc 10, B at hlc 20), then concurrent
// AddFields: C adds "x" (hlc 30) after seeing A's create, A adds "x" as
// another type (hlc 25) and B adds "y" (hlc 40).
std::vector<Recorded> ConcurrentHistory() {
  return {
      {Create("t", kSchemaA), At(kA, 1, 10)},
      {Create("t", kSchemaB), At(kB, 1, 20)},
      {AddField("t", "x", "integer"), At(kC, 1, 30, {{kA, 1}})},
      {AddField("t", "x", "string"), At(kA, 2, 25)},
      {AddField("t", "y", "boolean"), At(kB, 2, 40)},
  };
}

TEST(SchemaHistory, EveryArrivalOrderGivesTheSameBytes) {
  std::vector<Recorded> ops = ConcurrentHistory();
  std::vector<int> order(ops.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::string first;
  int orders = 0;
  do {
    v1::DatasetInfo info;
    info.set_name("t");
    for (int i : order) RecordSchemaOp(&info, ops[i].op, ops[i].at);
    if (first.empty()) first = info.SerializeAsString();
    EXPECT_EQ(info.SerializeAsString(), first);
    ++orders;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(orders, 120);
}

TEST(SchemaHistory, GreatestCreateGivesTheBaseAndAddFieldsFollowByStamp) {
  v1::DatasetInfo info;
  for (const auto& r : ConcurrentHistory()) RecordSchemaOp(&info, r.op, r.at);
  // B's create (hlc 20) beats A's (hlc 10); "x" from A (hlc 25) beats C's
  // "x" (hlc 30); then "y".
  EXPECT_EQ(FieldNames(info.schema()),
            (std::vector<std::string>{"code:string", "b:number", "x:string", "y:boolean"}));
  EXPECT_EQ(info.schema().primary_key(0), "code");
  EXPECT_EQ(info.created_by().author(), kB);
  EXPECT_EQ(info.created_by().hlc(), 20u);
  EXPECT_EQ(info.schema_ops_size(), 5);
}

TEST(SchemaHistory, SchemaAtCountsOnlyTheCausalPast) {
  v1::DatasetInfo info;
  for (const auto& r : ConcurrentHistory()) RecordSchemaOp(&info, r.op, r.at);
  // C's next commit has seen only A's create and its own AddField.
  auto c2 = SchemaAt(info, At(kC, 2, 50, {{kA, 1}}));
  ASSERT_TRUE(c2.has_value());
  EXPECT_EQ(FieldNames(*c2), (std::vector<std::string>{"id:integer", "a:string", "x:integer"}));
  // Op 0 of C's first commit has seen A's create but not its own AddField.
  auto c1 = SchemaAt(info, At(kC, 1, 30, {{kA, 1}}, /*index=*/0));
  ASSERT_TRUE(c1.has_value());
  EXPECT_EQ(FieldNames(*c1), (std::vector<std::string>{"id:integer", "a:string"}));
  // A later op of that same commit has.
  auto c1b = SchemaAt(info, At(kC, 1, 30, {{kA, 1}}, /*index=*/1));
  ASSERT_TRUE(c1b.has_value());
  EXPECT_EQ(c1b->fields_size(), 3);
  // Nothing seen: the dataset does not exist there.
  EXPECT_FALSE(SchemaAt(info, At(kC, 1, 5)).has_value());
}

TEST(SchemaHistory, RefoldCountsOnlyWhatTheFilterAdmits) {
  v1::DatasetInfo info;
  for (const auto& r : ConcurrentHistory()) RecordSchemaOp(&info, r.op, r.at);
  RefoldSchema(&info, [](const v1::SchemaOp& op) { return op.by().author() != kB; });
  EXPECT_EQ(FieldNames(info.schema()),
            (std::vector<std::string>{"id:integer", "a:string", "x:string"}));
  EXPECT_EQ(info.created_by().author(), kA);
  RefoldSchema(&info, [](const v1::SchemaOp& op) { return op.has_add_field(); });
  EXPECT_FALSE(info.has_schema());
  EXPECT_FALSE(info.has_created_by());
}

TEST(SchemaHistory, LegacyInfoBecomesOneCreate) {
  v1::DatasetInfo info;
  info.set_name("t");
  *info.mutable_schema() = kSchemaA;
  info.mutable_created_by()->set_author(kA);
  info.mutable_created_by()->set_seq(3);
  info.mutable_created_by()->set_hlc(77);
  UpgradeLegacyDatasetInfo(&info);
  ASSERT_EQ(info.schema_ops_size(), 1);
  EXPECT_TRUE(SchemaAt(info, At(kB, 1, 80, {{kA, 3}})).has_value());
  EXPECT_FALSE(SchemaAt(info, At(kB, 1, 80, {{kA, 2}})).has_value());
  std::string once = info.SerializeAsString();
  UpgradeLegacyDatasetInfo(&info);
  EXPECT_EQ(info.SerializeAsString(), once);
}

class CommitSchemasTest : public ::testing::Test {
 protected:
  std::map<std::string, v1::DatasetInfo> datasets_;
};

TEST_F(CommitSchemasTest, ConcurrentCreatesOfOneNameAreBothValid) {
  ASSERT_TRUE(CommitSchemas(&datasets_).Admit(Create("t", kSchemaA), At(kA, 1, 10)).ok());
  Status b = CommitSchemas(&datasets_).Admit(Create("t", kSchemaB), At(kB, 1, 20));
  EXPECT_TRUE(b.ok()) << b.ToString();
  EXPECT_EQ(datasets_["t"].schema().primary_key(0), "code");
}

TEST_F(CommitSchemasTest, RecreatingASeenDatasetIsRefusedAndChangesNothing) {
  ASSERT_TRUE(CommitSchemas(&datasets_).Admit(Create("t", kSchemaA), At(kA, 1, 10)).ok());
  std::string before = datasets_["t"].SerializeAsString();
  Status s = CommitSchemas(&datasets_).Admit(Create("t", kSchemaB), At(kB, 1, 20, {{kA, 1}}));
  EXPECT_EQ(s.code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(s.message(), "dataset \"t\" already exists");
  // Its own earlier op counts too.
  CommitSchemas same(&datasets_);
  ASSERT_TRUE(same.Admit(Create("u", kSchemaA), At(kC, 1, 30, {}, 0)).ok());
  EXPECT_EQ(same.Admit(Create("u", kSchemaB), At(kC, 1, 30, {}, 1)).code(),
            Status::Code::kAlreadyExists);
  EXPECT_EQ(datasets_["t"].SerializeAsString(), before);
}

TEST_F(CommitSchemasTest, BadSchemaOpsNameTheProblem) {
  CommitSchemas schemas(&datasets_);
  EXPECT_EQ(schemas.Admit(Create("t", v1::Schema()), At(kA, 1, 10)).message(),
            "schema has no fields");
  EXPECT_EQ(schemas.Admit(AddField("t", "x", "string"), At(kA, 1, 10)).message(),
            "no dataset \"t\"");
  EXPECT_TRUE(datasets_.empty());
  ASSERT_TRUE(schemas.Admit(Create("t", kSchemaA), At(kA, 1, 10)).ok());
  // A dataset created concurrently (not in the AddField's past) is not there.
  EXPECT_EQ(CommitSchemas(&datasets_).Admit(AddField("t", "x", "string"), At(kB, 1, 20)).code(),
            Status::Code::kNotFound);
  EXPECT_EQ(CommitSchemas(&datasets_)
                .Admit(AddField("t", "a", "integer"), At(kB, 1, 20, {{kA, 1}}))
                .message(),
            "field \"a\" appears twice");
  EXPECT_EQ(datasets_["t"].schema_ops_size(), 1);
}

TEST_F(CommitSchemasTest, ConcurrentSameNameAddFieldsAreBothValid) {
  ASSERT_TRUE(CommitSchemas(&datasets_).Admit(Create("t", kSchemaA), At(kA, 1, 10)).ok());
  ASSERT_TRUE(CommitSchemas(&datasets_)
                  .Admit(AddField("t", "x", "integer"), At(kB, 1, 30, {{kA, 1}}))
                  .ok());
  Status s =
      CommitSchemas(&datasets_).Admit(AddField("t", "x", "string"), At(kC, 1, 20, {{kA, 1}}));
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(FieldNames(datasets_["t"].schema()),
            (std::vector<std::string>{"id:integer", "a:string", "x:string"}));
}

TEST_F(CommitSchemasTest, DataOpsSeeTheSchemaAtDepsAndTheirCommitsEarlierOps) {
  ASSERT_TRUE(CommitSchemas(&datasets_).Admit(Create("t", kSchemaA), At(kA, 1, 10)).ok());
  ASSERT_TRUE(CommitSchemas(&datasets_).Admit(AddField("t", "x", "integer"), At(kA, 2, 11)).ok());
  // B saw only the create: no "x" for it, even though this node holds it.
  CommitSchemas b(&datasets_);
  auto seen = b.SchemaFor("t", At(kB, 1, 20, {{kA, 1}}, 0));
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ((*seen)->fields_size(), 2);
  // B's commit adds "z" at op 1: op 2 of the same commit sees it.
  ASSERT_TRUE(b.Admit(AddField("t", "z", "string"), At(kB, 1, 20, {{kA, 1}}, 1)).ok());
  auto after = b.SchemaFor("t", At(kB, 1, 20, {{kA, 1}}, 2));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(FieldNames(**after), (std::vector<std::string>{"id:integer", "a:string", "z:string"}));
  EXPECT_EQ(b.SchemaFor("u", At(kB, 1, 20, {{kA, 1}}, 2)).status().message(), "no dataset \"u\"");
  // The current schema has both.
  EXPECT_EQ(datasets_["t"].schema().fields_size(), 4);
}

}  // namespace
}  // namespace kongsi::node
