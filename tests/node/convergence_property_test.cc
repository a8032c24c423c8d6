// Convergence (DESIGN §4, §5, normative), as a RapidCheck property over
// random multi-author histories on real nodes:
//  - authors (fixed seeded identities, each on its own node) make commits
//    with Node::BuildCommit on what they have seen, and exchange random
//    subsets of commits at random points;
//  - fully synced, every author node has the same state digest;
//  - fresh nodes fed all signed commits in random orders, with duplicates,
//    reach that same digest and the same visible records;
//  - an as-of read at a causally closed prefix (an author's VV at some
//    moment) equals a fresh node fed only the commits <= that VV;
//  - schemas too: authors create a second dataset and add fields with
//    clashing names (same name, other type or primary key) on what they have
//    seen, so concurrent CreateDataset/AddField of one name happen, and every
//    node ends with the same schema history, byte for byte.
//
// Runtime: nodes (RocksDB) are opened once per test and every property run
// works in a new collection, so a "fresh node" is one that has never seen
// that collection. Sizes are bounded in the generator (<= 4 authors, <= 12
// commits each, <= 6 ops per commit, 4 keys, 3 small value domains).
#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "node/op_validation.h"
#include "tests/node/test_cluster.h"

namespace kongsi::node {
namespace {

using namespace kongsi::node::testing;

constexpr int kMaxAuthors = 4;  // the admin (author 0) and up to 3 writers
constexpr int kMinAuthors = 3;
constexpr int kMaxCommitsPerAuthor = 12;
constexpr int kMaxOpsPerCommit = 6;
constexpr int kMaxSteps = 28;
constexpr int kKeys = 4;
constexpr int kReplicas = 2;
const char kDataset[] = "t";
const char kOther[] = "u";  // created during the history, maybe concurrently

struct Cluster {
  TempDir dir{"kongsi_convergence"};
  std::vector<Identity> ids;
  std::vector<std::unique_ptr<Node>> authors;
  std::vector<std::unique_ptr<Node>> replicas;  // fed everything, shuffled
  std::unique_ptr<Node> prefix;                 // fed a causal prefix

  explicit Cluster(int n_authors = kMaxAuthors) {
    for (int i = 0; i < n_authors; ++i) {
      ids.push_back(SeededIdentity(static_cast<uint8_t>(101 + i), "author" + std::to_string(i)));
      authors.push_back(OpenNodeAs(dir.Sub("author" + std::to_string(i)), ids.back()));
    }
    for (int i = 0; i < kReplicas; ++i) {
      replicas.push_back(InitNode(dir.Sub("replica" + std::to_string(i)), "replica"));
    }
    prefix = InitNode(dir.Sub("prefix"), "prefix");
  }
  bool ok() const {
    for (const auto& n : authors) if (!n) return false;
    for (const auto& n : replicas) if (!n) return false;
    return prefix != nullptr;
  }
};

// A choice in [lo, hi) over the whole range whatever RapidCheck's current
// size (gen::inRange scales with size, so at small sizes it would always
// pick `lo`: always author 0, key 0, a null value...). Only the number of
// steps grows with the size.
int Pick(int lo, int hi) { return *rc::gen::resize(100, rc::gen::inRange(lo, hi)); }
uint64_t ShuffleSeed() { return *rc::gen::resize(100, rc::gen::arbitrary<uint64_t>()); }

// A small value domain per type, null one time in four.
v1::Value GenValue(const std::string& type) {
  int pick = Pick(0, 4);
  if (pick == 0) return Null();
  if (type == "string") return Str(std::string(1, static_cast<char>('x' + pick - 1)));  // x y z
  if (type == "integer") return Int(pick - 1);                                           // 0 1 2
  return Num(0.5 * pick);                                                                // 0.5 1 1.5
}

v1::Value GenKeyValue(const std::string& type) {
  int k = Pick(0, kKeys);
  return type == "string" ? Str("k" + std::to_string(k)) : Int(k);
}

// An Upsert (a non-empty subset of the non-key fields: partial) or a Delete
// of `ds`, valid under `schema`.
v1::Op GenDataOp(const std::string& ds, const v1::Schema& schema) {
  std::vector<v1::Value> key;
  for (const auto& k : schema.primary_key()) key.push_back(GenKeyValue(FindField(schema, k)->type()));
  if (Pick(0, 5) == 0) return DeleteOp(ds, std::move(key));
  std::vector<const v1::Field*> columns;
  for (const auto& f : schema.fields()) {
    if (!IsKeyField(schema, f.name())) columns.push_back(&f);
  }
  std::vector<std::pair<std::string, v1::Value>> cells;
  int mask = Pick(1, 1 << columns.size());
  for (size_t f = 0; f < columns.size(); ++f) {
    if (mask & (1 << f)) cells.emplace_back(columns[f]->name(), GenValue(columns[f]->type()));
  }
  return UpsertOp(ds, std::move(key), std::move(cells));
}

// "u" keyed by a string code, or (clashing) by an integer n.
v1::Schema OtherSchema(bool keyed_by_code) {
  v1::Schema s;
  *s.add_fields() = FieldOf("code", "string");
  *s.add_fields() = FieldOf("n", "integer");
  s.add_primary_key(keyed_by_code ? "code" : "n");
  return s;
}

v1::Op AddFieldOp(const std::string& ds, const std::string& name, const std::string& type) {
  v1::Op op;
  op.mutable_add_field()->set_dataset(ds);
  *op.mutable_add_field()->mutable_field() = FieldOf(name, type);
  return op;
}

// The current schema of `ds` on `node`, if it holds the dataset.
std::optional<v1::Schema> HeldSchema(const Node& node, const std::string& coll, const std::string& ds) {
  auto info = node.Dataset(coll, ds);
  if (!info.ok()) return std::nullopt;
  return info->schema();
}

// A schema op valid for an author holding schemas `t` and `u` (its commit
// builds on all it holds), with names that clash across authors: "u" created
// with one of two primary keys, fields "d" / "e" added to either dataset as
// a string or an integer. Nothing when the pick is already there.
std::optional<v1::Op> GenSchemaOp(const std::optional<v1::Schema>& t, const std::optional<v1::Schema>& u) {
  const int pick = Pick(0, 3);
  if (pick == 0) {
    if (u) return std::nullopt;
    return CreateDatasetOp(kOther, OtherSchema(Pick(0, 2) == 0));
  }
  const bool to_t = pick == 1 || !u;
  const std::optional<v1::Schema>& held = to_t ? t : u;
  const std::string name = Pick(0, 3) == 0 ? "e" : "d";
  if (FindField(*held, name)) return std::nullopt;
  return AddFieldOp(to_t ? kDataset : kOther, name, Pick(0, 2) == 0 ? "string" : "integer");
}

// The ops of one commit by `node`: maybe a schema op first, then data ops
// against the schemas the node holds (the commit's deps are all it holds).
std::vector<v1::Op> GenCommitOps(const Node& node, const std::string& coll) {
  std::optional<v1::Schema> t = HeldSchema(node, coll, kDataset);
  std::optional<v1::Schema> u = HeldSchema(node, coll, kOther);
  std::vector<v1::Op> ops;
  if (Pick(0, 3) == 0) {
    if (auto op = GenSchemaOp(t, u)) ops.push_back(std::move(*op));
  }
  const int nops = Pick(1, kMaxOpsPerCommit + 1);
  for (int i = 0; i < nops; ++i) {
    bool other = u && Pick(0, 4) == 0;
    ops.push_back(other ? GenDataOp(kOther, *u) : GenDataOp(kDataset, *t));
  }
  return ops;
}

// How many CreateDatasets (`field` empty) or AddFields of `field` the
// history of `ds` on `node` holds.
int SchemaOpCount(const Node& node, const std::string& coll, const std::string& ds, const std::string& field) {
  auto info = node.Dataset(coll, ds);
  if (!info.ok()) return 0;
  return static_cast<int>(std::count_if(info->schema_ops().begin(), info->schema_ops().end(), [&](const auto& op) {
    return field.empty() ? op.has_create() : op.has_add_field() && op.add_field().name() == field;
  }));
}

// The schema history of `ds` on `node`, as stored bytes ("" when absent).
std::string HistoryBytes(const Node& node, const std::string& coll, const std::string& ds) {
  auto info = node.Dataset(coll, ds);
  return info.ok() ? info->SerializeAsString() : std::string();
}

bool Accepted(ReceiveStatus s) {
  return s == ReceiveStatus::kApplied || s == ReceiveStatus::kDuplicate || s == ReceiveStatus::kPending;
}

struct CommitId {
  std::string author;
  uint64_t seq;
};

CommitId IdOf(const std::string& signed_bytes) {
  v1::SignedCommit sc;
  v1::Commit c;
  (void)sc.ParseFromString(signed_bytes);
  (void)c.ParseFromString(sc.commit());
  return {c.author(), c.seq()};
}

// Every record of the dataset, deleted ones too, as exact state bytes.
std::map<std::string, std::string> States(const Node& node, const std::string& coll,
                                          const VersionVector* as_of) {
  std::map<std::string, std::string> out;
  Reader reader(node, coll);
  Status s = reader.ScanRecords(
      kDataset, as_of,
      [&](const v1::RecordState& r) {
        out[KeyText(r.key())] = r.SerializeAsString();
        return true;
      },
      /*include_deleted=*/true);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

size_t ConflictCount(const Node& node, const std::string& coll) {
  Reader reader(node, coll);
  auto c = reader.Conflicts(kDataset);
  return c.ok() ? c->size() : 0;
}

// Feeds `commits` to `node` (the genesis first: a node learns of a
// collection from its genesis, and sync streams in causal order, so a
// commit of a still-unknown collection is rejected, not kept pending), the
// rest shuffled by `seed`, each with a chance of arriving twice.
void FeedShuffled(Node& node, const std::string& genesis, const std::vector<std::string>& commits,
                  uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<const std::string*> order;
  for (const auto& c : commits) {
    if (c == genesis) continue;
    order.push_back(&c);
    if (rng() % 4 == 0) order.push_back(&c);
  }
  std::shuffle(order.begin(), order.end(), rng);
  ReceiveOutcome g = node.Receive(genesis);
  RC_ASSERT(g.status == ReceiveStatus::kApplied);
  for (const std::string* c : order) {
    ReceiveOutcome out = node.Receive(*c);
    if (!Accepted(out.status)) RC_FAIL(std::string(ReceiveStatusName(out.status)) + ": " + out.reason);
  }
}

void RunHistory(Cluster& cl) {
  const int n = Pick(kMinAuthors, kMaxAuthors + 1);
  Node& admin = *cl.authors[0];

  // Setup by the admin: collection, dataset, writers.
  auto coll_or = admin.CreateCollection("c", "convergence");
  RC_ASSERT(coll_or.ok());
  const std::string coll = *coll_or;
  std::vector<v1::Op> setup = {CreateDatasetOp(kDataset, TestSchema())};
  for (int i = 1; i < n; ++i) setup.push_back(GrantOp(cl.ids[i].node_id(), v1::ROLE_WRITER));
  RC_ASSERT(admin.CommitOps(coll, setup, "dataset and writers").ok());
  std::vector<std::string> all = AllCommits(admin, coll);
  RC_ASSERT(all.size() == 2u);
  const std::string genesis = all[0];
  for (int i = 1; i < n; ++i) {
    for (const auto& c : all) RC_ASSERT(cl.authors[i]->Receive(c).status == ReceiveStatus::kApplied);
  }

  // The random history.
  std::vector<int> made(n, 0);
  std::vector<VersionVector> snapshots;  // authors' VVs at moments: causal prefixes
  const int steps = *rc::gen::inRange(1, kMaxSteps + 1);
  int exchanges = 0;
  for (int step = 0; step < steps; ++step) {
    if (Pick(0, 10) < 7) {
      const int a = Pick(0, n);
      if (made[a] >= kMaxCommitsPerAuthor) continue;
      Node& node = *cl.authors[a];
      std::vector<v1::Op> ops = GenCommitOps(node, coll);
      std::string bytes = Serialized(node.BuildCommit(coll, node.Version(coll), std::move(ops), "step"));
      ReceiveOutcome out = node.Receive(bytes);
      if (out.status != ReceiveStatus::kApplied) RC_FAIL("own commit not applied: " + out.reason);
      all.push_back(bytes);
      ++made[a];
      snapshots.push_back(node.Version(coll));
    } else {
      const int from = Pick(0, n);
      const int to = Pick(0, n);
      if (from == to) continue;
      const int mode = Pick(0, 3);
      const uint64_t seed = ShuffleSeed();
      std::mt19937_64 rng(seed);
      std::vector<std::string> log = AllCommits(*cl.authors[from], coll);
      std::vector<std::string> send;
      if (mode == 0) {
        send = log;  // everything, in causal order
      } else if (mode == 1) {
        for (const auto& c : log) if (rng() % 2) send.push_back(c);  // a subset, shuffled
        std::shuffle(send.begin(), send.end(), rng);
      } else {
        size_t k = log.empty() ? 0 : rng() % log.size();  // only the newest: deps may be missing
        send.assign(log.end() - static_cast<long>(k), log.end());
      }
      for (const auto& c : send) {
        ReceiveOutcome out = cl.authors[to]->Receive(c);
        if (!Accepted(out.status)) RC_FAIL(std::string(ReceiveStatusName(out.status)) + ": " + out.reason);
      }
      ++exchanges;
      snapshots.push_back(cl.authors[to]->Version(coll));
    }
  }

  // Full sync: everyone into author 0, then author 0 into everyone.
  for (int i = 1; i < n; ++i) RC_ASSERT(SyncInto(*cl.authors[i], admin, coll));
  for (int i = 1; i < n; ++i) RC_ASSERT(SyncInto(admin, *cl.authors[i], coll));
  VersionVector full;
  for (const auto& c : all) {
    CommitId id = IdOf(c);
    full.Set(id.author, std::max(full.Get(id.author), id.seq));
  }
  RC_ASSERT(full.Total() == all.size());
  const std::string digest = DigestOf(admin, coll);
  const VisibleTable visible = ScanVisible(admin, coll, kDataset);
  const auto states = States(admin, coll, nullptr);
  const std::string history_t = HistoryBytes(admin, coll, kDataset);
  const std::string history_u = HistoryBytes(admin, coll, kOther);
  auto same_schemas = [&](const Node& node) {
    return HistoryBytes(node, coll, kDataset) == history_t && HistoryBytes(node, coll, kOther) == history_u;
  };
  for (int i = 0; i < n; ++i) {
    RC_ASSERT(cl.authors[i]->Version(coll) == full);
    RC_ASSERT(DigestOf(*cl.authors[i], coll) == digest);
    RC_ASSERT(States(*cl.authors[i], coll, nullptr) == states);
    RC_ASSERT(same_schemas(*cl.authors[i]));
  }

  // Fresh nodes, all commits in random orders with duplicates.
  for (auto& replica : cl.replicas) {
    FeedShuffled(*replica, genesis, all, ShuffleSeed());
    RC_ASSERT(replica->Version(coll) == full);
    RC_ASSERT(ScanVisible(*replica, coll, kDataset) == visible);
    RC_ASSERT(States(*replica, coll, nullptr) == states);
    RC_ASSERT(DigestOf(*replica, coll) == digest);
    RC_ASSERT(same_schemas(*replica));
  }

  // As-of at a causal prefix == a fresh node fed only that prefix.
  if (!snapshots.empty()) {
    const VersionVector& at = snapshots[static_cast<size_t>(Pick(0, static_cast<int>(snapshots.size())))];
    std::vector<std::string> prefix;
    for (const auto& c : all) {
      CommitId id = IdOf(c);
      if (at.Includes(id.author, id.seq)) prefix.push_back(c);
    }
    RC_ASSERT(prefix.size() == at.Total());
    // In causal order (the order of `all`): the replicas above covered shuffles.
    for (const auto& c : prefix) RC_ASSERT(cl.prefix->Receive(c).status == ReceiveStatus::kApplied);
    RC_ASSERT(cl.prefix->Version(coll) == at);
    const VisibleTable prefix_visible = ScanVisible(*cl.prefix, coll, kDataset);
    // On an author node, on a replica, and on the prefix node itself.
    RC_ASSERT(ScanVisible(admin, coll, kDataset, &at) == prefix_visible);
    RC_ASSERT(ScanVisible(*cl.replicas[0], coll, kDataset, &at) == prefix_visible);
    RC_ASSERT(ScanVisible(*cl.prefix, coll, kDataset, &at) == prefix_visible);
    // Exactly the same record states, conflicts and provenance included.
    RC_ASSERT(States(admin, coll, &at) == States(*cl.prefix, coll, nullptr));
  }

  RC_CLASSIFY(ConflictCount(admin, coll) > 0, "with conflicts");
  RC_CLASSIFY(SchemaOpCount(admin, coll, kOther, "") > 1, "with concurrent CreateDatasets");
  RC_CLASSIFY(SchemaOpCount(admin, coll, kDataset, "d") > 1 || SchemaOpCount(admin, coll, kDataset, "e") > 1 ||
                  SchemaOpCount(admin, coll, kOther, "d") > 1 || SchemaOpCount(admin, coll, kOther, "e") > 1,
              "with same-name AddFields");
  RC_CLASSIFY(exchanges > 0, "with exchanges");
  RC_TAG(n);
}

TEST(Convergence, RandomHistoriesConvergeAndAsOfMatchesAPrefix) {
  Cluster cluster;
  ASSERT_TRUE(cluster.ok());
  rc::detail::checkGTest([&] { RunHistory(cluster); });
}

// A deterministic history in which every author writes one cell concurrently
// and then one author resolves it: every arrival order gives one digest, and
// the conflict appears and is cleared.
TEST(Convergence, ConcurrentWritesOneResolverEveryOrder) {
  Cluster cl(3);
  ASSERT_TRUE(cl.ok());
  Node& admin = *cl.authors[0];
  auto coll = admin.CreateCollection("c", "fixed");
  ASSERT_TRUE(coll.ok());
  ASSERT_TRUE(admin.CommitOps(*coll, {CreateDatasetOp(kDataset, TestSchema())}, "d").ok());
  ASSERT_TRUE(admin.CommitOps(*coll,
                              {GrantOp(cl.ids[1].node_id(), v1::ROLE_WRITER),
                               GrantOp(cl.ids[2].node_id(), v1::ROLE_WRITER)},
                              "g")
                  .ok());
  for (int i = 1; i < 3; ++i) ASSERT_TRUE(SyncInto(admin, *cl.authors[i], *coll));
  std::vector<std::string> writes;
  for (int i = 0; i < 3; ++i) {
    Node& n = *cl.authors[i];
    writes.push_back(Serialized(n.BuildCommit(
        *coll, n.Version(*coll), {UpsertOp(kDataset, {Int(1)}, {{"a", Str("v" + std::to_string(i))}})}, "w")));
    ASSERT_EQ(n.Receive(writes.back()).status, ReceiveStatus::kApplied);
  }
  for (int i = 0; i < 3; ++i) {
    for (const auto& w : writes) ASSERT_TRUE(Accepted(cl.authors[i]->Receive(w).status));
  }
  const std::string conflicted = DigestOf(admin, *coll);
  EXPECT_EQ(ConflictCount(admin, *coll), 1u);
  {
    Reader r(admin, *coll);
    auto c = r.Conflicts(kDataset);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->size(), 1u);
    EXPECT_EQ(c->front().losers.size(), 2u);  // three concurrent values: one wins
  }
  for (int i = 1; i < 3; ++i) EXPECT_EQ(DigestOf(*cl.authors[i], *coll), conflicted);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  Node& resolver = *cl.authors[2];
  std::string fix = Serialized(resolver.BuildCommit(
      *coll, resolver.Version(*coll), {UpsertOp(kDataset, {Int(1)}, {{"a", Str("agreed")}})}, "fix"));
  ASSERT_EQ(resolver.Receive(fix).status, ReceiveStatus::kApplied);
  EXPECT_EQ(ConflictCount(resolver, *coll), 0u);
  std::vector<std::string> all = AllCommits(resolver, *coll);
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(kReplicas); ++seed) {
    Node& replica = *cl.replicas[seed - 1];
    std::mt19937_64 rng(seed);
    std::vector<std::string> rest(all.begin() + 1, all.end());
    std::shuffle(rest.begin(), rest.end(), rng);
    ASSERT_EQ(replica.Receive(all[0]).status, ReceiveStatus::kApplied);
    for (const auto& c : rest) ASSERT_TRUE(Accepted(replica.Receive(c).status));
    EXPECT_EQ(replica.Version(*coll), resolver.Version(*coll));
    EXPECT_EQ(DigestOf(replica, *coll), DigestOf(resolver, *coll));
    EXPECT_EQ(ConflictCount(replica, *coll), 0u);
    EXPECT_EQ(ScanVisible(replica, *coll, kDataset)["1"]["a"], "agreed");
  }
  EXPECT_NE(DigestOf(resolver, *coll), conflicted);
}

// Two writers each make one commit concurrently (neither saw the other's);
// two fresh nodes receive them in opposite orders. Returns the outcomes and
// digests of both.
struct TwoOrders {
  std::string first_on_0, second_on_0, first_on_1, second_on_1;  // ReceiveStatusName
  std::string digest0, digest1;
};

TwoOrders ConcurrentPair(Cluster& cl, const std::vector<v1::Op>& ops1, const std::vector<v1::Op>& ops2) {
  Node& admin = *cl.authors[0];
  auto coll = admin.CreateCollection("c", "pair");
  EXPECT_TRUE(coll.ok());
  EXPECT_TRUE(admin.CommitOps(*coll,
                              {CreateDatasetOp(kDataset, TestSchema()),
                               GrantOp(cl.ids[1].node_id(), v1::ROLE_WRITER),
                               GrantOp(cl.ids[2].node_id(), v1::ROLE_WRITER)},
                              "setup")
                  .ok());
  std::vector<std::string> setup = AllCommits(admin, *coll);
  for (int i = 1; i < 3; ++i) EXPECT_TRUE(SyncInto(admin, *cl.authors[i], *coll));
  Node& w1 = *cl.authors[1];
  Node& w2 = *cl.authors[2];
  std::string c1 = Serialized(w1.BuildCommit(*coll, w1.Version(*coll), ops1, "one"));
  std::string c2 = Serialized(w2.BuildCommit(*coll, w2.Version(*coll), ops2, "two"));
  for (Node* r : {cl.replicas[0].get(), cl.replicas[1].get()}) {
    for (const auto& c : setup) EXPECT_EQ(r->Receive(c).status, ReceiveStatus::kApplied);
  }
  TwoOrders t;
  t.first_on_0 = ReceiveStatusName(cl.replicas[0]->Receive(c1).status);
  t.second_on_0 = ReceiveStatusName(cl.replicas[0]->Receive(c2).status);
  t.second_on_1 = ReceiveStatusName(cl.replicas[1]->Receive(c2).status);
  t.first_on_1 = ReceiveStatusName(cl.replicas[1]->Receive(c1).status);
  t.digest0 = DigestOf(*cl.replicas[0], *coll);
  t.digest1 = DigestOf(*cl.replicas[1], *coll);
  return t;
}

// A record that only ever saw Deletes takes its key (with its `lexical`
// spelling) from the greatest-stamped Delete, not from the first to arrive.
TEST(Convergence, ConcurrentDeletesOfANeverUpsertedKeyConverge) {
  Cluster cl(3);
  ASSERT_TRUE(cl.ok());
  v1::Value one = Int(1);
  v1::Value one_lexical = Int(1);
  one_lexical.set_lexical("01");
  TwoOrders t = ConcurrentPair(cl, {DeleteOp(kDataset, {one_lexical})}, {DeleteOp(kDataset, {one})});
  EXPECT_EQ(t.first_on_0, "applied");
  EXPECT_EQ(t.second_on_1, "applied");
  EXPECT_EQ(t.digest0, t.digest1);
}

// Two concurrent schema ops: valid whatever the order they arrive in, and
// the same state after both.
void ExpectBothValidInBothOrders(const TwoOrders& t) {
  EXPECT_EQ(t.first_on_0, "applied");
  EXPECT_EQ(t.second_on_0, "applied");
  EXPECT_EQ(t.first_on_1, "applied");
  EXPECT_EQ(t.second_on_1, "applied");
  EXPECT_EQ(t.digest0, t.digest1);
}

// Concurrent AddFields: the schema appends them by stamp, not in arrival
// order, so nodes that got them in different orders hold one schema and one
// digest (DESIGN §4: state is a pure function of the set of commits).
TEST(Convergence, ConcurrentAddFieldsGiveOneSchema) {
  Cluster cl(3);
  ASSERT_TRUE(cl.ok());
  ExpectBothValidInBothOrders(
      ConcurrentPair(cl, {AddFieldOp(kDataset, "d1", "string")}, {AddFieldOp(kDataset, "d2", "integer")}));
}

// Whether a commit is valid must not depend on arrival order. Two writers
// concurrently create a dataset of the same name: neither saw the other's,
// so both are valid on every node, and the greater stamp gives the schema.
TEST(Convergence, ConcurrentCreateDatasetOfOneNameConverges) {
  Cluster cl(3);
  ASSERT_TRUE(cl.ok());
  ExpectBothValidInBothOrders(ConcurrentPair(cl, {CreateDatasetOp(kOther, TestSchema())},
                                             {CreateDatasetOp(kOther, OtherSchema(/*keyed_by_code=*/true))}));
}

}  // namespace
}  // namespace kongsi::node
