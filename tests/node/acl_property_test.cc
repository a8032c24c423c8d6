// Permissions converge (DESIGN §6, normative), as a RapidCheck property over
// random histories of 3-6 members on real nodes: grants and revokes (also
// mutual, also of admins by admins), writes and deletes, partial exchanges
// in random orders (partitions), tags, then a full sync.
//  - every member and fresh nodes fed every commit shuffled, with
//    duplicates, reach the same state digest (which covers the verdicts),
//    the same records and the same verdict on every commit;
//  - no visible cell, conflict, record stamp or tag comes from an invalid
//    commit.
//
// Runtime: nodes are opened once per test and each run works in a new
// collection; kRuns runs unless RC_PARAMS says otherwise.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/node/test_cluster.h"

namespace kongsi::node {
namespace {

using namespace kongsi::node::testing;

constexpr int kRuns = 10;
constexpr int kMinMembers = 3;
constexpr int kMaxMembers = 6;
constexpr int kMaxSteps = 24;
constexpr int kKeys = 4;
constexpr int kReplicas = 2;
const char kDataset[] = "t";

struct Cluster {
  TempDir dir{"kongsi_aclprop"};
  std::vector<Identity> ids;
  std::vector<std::unique_ptr<Node>> members;
  std::vector<std::unique_ptr<Node>> replicas;

  Cluster() {
    for (int i = 0; i < kMaxMembers; ++i) {
      ids.push_back(SeededIdentity(static_cast<uint8_t>(151 + i), "member" + std::to_string(i)));
      members.push_back(OpenNodeAs(dir.Sub("member" + std::to_string(i)), ids.back()));
    }
    for (int i = 0; i < kReplicas; ++i)
      replicas.push_back(InitNode(dir.Sub("replica" + std::to_string(i)), "r"));
  }
  bool ok() const {
    for (const auto& n : members)
      if (!n) return false;
    for (const auto& n : replicas)
      if (!n) return false;
    return true;
  }
};

// A choice in [lo, hi) over the whole range at any RapidCheck size.
int Pick(int lo, int hi) { return *rc::gen::resize(100, rc::gen::inRange(lo, hi)); }
uint64_t Seed() { return *rc::gen::resize(100, rc::gen::arbitrary<uint64_t>()); }

v1::Role PickRole() { return static_cast<v1::Role>(Pick(v1::ROLE_READER, v1::ROLE_ADMIN + 1)); }

v1::Op DataOp() {
  int64_t key = Pick(0, kKeys);
  if (Pick(0, 4) == 0) return DeleteOp(kDataset, {Int(key)});
  return UpsertOp(kDataset, {Int(key)},
                  {{"a", Str(std::string(1, static_cast<char>('p' + Pick(0, 4))))}});
}

bool Stored(ReceiveStatus s) {
  return s == ReceiveStatus::kApplied || s == ReceiveStatus::kInvalid;
}
bool Accepted(ReceiveStatus s) {
  return Stored(s) || s == ReceiveStatus::kDuplicate || s == ReceiveStatus::kPending;
}

// Verdict of every stored commit: "author|seq" -> valid.
std::map<std::string, bool> Verdicts(const Node& node, const std::string& coll) {
  std::map<std::string, bool> out;
  Status s = node.ForEachChange(coll, 0, [&](uint64_t, const v1::StoredCommit& sc) {
    auto c = DecodeStoredCommit(sc);
    if (c.ok()) out[c->author() + "|" + std::to_string(c->seq())] = sc.valid();
    return true;
  });
  RC_ASSERT(s.ok());
  return out;
}

// No record stamp, visible cell, conflict or tag of `node` comes from a
// commit judged invalid. Returns the number of records checked.
size_t CheckNothingFromInvalid(const Node& node, const std::string& coll) {
  auto valid = [&](const v1::Provenance& by) {
    auto stored = node.GetCommit(coll, by.author(), by.seq());
    RC_ASSERT(stored.ok());
    return stored->valid();
  };
  size_t records = 0;
  Reader reader(node, coll);
  Status s = reader.ScanRecords(
      kDataset, nullptr,
      [&](const v1::RecordState& r) {
        ++records;
        if (r.has_last_upsert()) RC_ASSERT(valid(r.last_upsert()));
        if (r.has_last_delete()) RC_ASSERT(valid(r.last_delete()));
        for (const auto& w : r.delete_frontier()) RC_ASSERT(valid(w.by()));
        for (const auto& cell : r.cells()) {
          if (cell.has_by()) RC_ASSERT(valid(cell.by()));
          for (const auto& w : cell.frontier()) RC_ASSERT(valid(w.by()));
        }
        return true;
      },
      /*include_deleted=*/true);
  RC_ASSERT(s.ok());
  for (const auto& t : reader.Tags()) RC_ASSERT(valid(t.by()));
  return records;
}

void Deliver(Node& to, const std::vector<std::string>& commits) {
  for (const auto& c : commits) {
    ReceiveOutcome out = to.Receive(c);
    if (!Accepted(out.status))
      RC_FAIL(std::string(ReceiveStatusName(out.status)) + ": " + out.reason);
  }
}

void RunHistory(Cluster& cl) {
  const int n = Pick(kMinMembers, kMaxMembers + 1);
  Node& root = *cl.members[0];
  auto coll_or = root.CreateCollection("c", "acl property");
  RC_ASSERT(coll_or.ok());
  const std::string coll = *coll_or;
  std::vector<v1::Op> setup = {CreateDatasetOp(kDataset, TestSchema())};
  for (int i = 1; i < n; ++i) setup.push_back(GrantOp(cl.ids[i].node_id(), PickRole()));
  RC_ASSERT(root.CommitOps(coll, setup, "setup").ok());
  std::vector<std::string> all = AllCommits(root, coll);
  const std::string genesis = all.front();
  for (int i = 1; i < n; ++i) Deliver(*cl.members[i], all);

  int acl_commits = 0;
  const int steps = Pick(kMaxSteps / 2, kMaxSteps + 1);
  for (int step = 0; step < steps; ++step) {
    const int kind = Pick(0, 10);
    if (kind < 7) {
      const int a = Pick(0, n);
      Node& node = *cl.members[a];
      std::vector<v1::Op> ops;
      if (kind < 4) {
        for (int i = Pick(1, 4); i > 0; --i) ops.push_back(DataOp());
        if (Pick(0, 4) == 0) {  // a tag, so tags fall back when their commit is cut
          v1::Op tag;
          tag.mutable_tag()->set_name("v" + std::to_string(Pick(0, 2)));
          *tag.mutable_tag()->mutable_vv() = node.Version(coll).ToProto();
          ops.push_back(std::move(tag));
        }
      } else if (kind < 5) {
        ops.push_back(GrantOp(cl.ids[Pick(0, n)].node_id(), PickRole()));
      } else {
        ops.push_back(RevokeOp(cl.ids[Pick(0, n)].node_id()));
      }
      std::string bytes =
          Serialized(node.BuildCommit(coll, node.Version(coll), std::move(ops), "step"));
      ReceiveOutcome out = node.Receive(bytes);
      if (!Stored(out.status)) continue;  // refused by its own node (no role): never sent
      all.push_back(bytes);
      acl_commits += kind >= 4;
    } else {
      const int from = Pick(0, n), to = Pick(0, n);
      if (from == to) continue;
      std::mt19937_64 rng(Seed());
      std::vector<std::string> log = AllCommits(*cl.members[from], coll), send;
      if (kind == 7) {
        send = log;
      } else if (kind == 8) {
        for (const auto& c : log)
          if (rng() % 2) send.push_back(c);
        std::shuffle(send.begin(), send.end(), rng);
      } else {
        send.assign(log.end() - static_cast<long>(rng() % log.size()),
                    log.end());  // deps may be missing
      }
      Deliver(*cl.members[to], send);
    }
  }

  for (int i = 1; i < n; ++i) Deliver(root, AllCommits(*cl.members[i], coll));
  for (int i = 1; i < n; ++i) Deliver(*cl.members[i], AllCommits(root, coll));
  const std::string digest = DigestOf(root, coll);
  const auto verdicts = Verdicts(root, coll);
  const VisibleTable visible = ScanVisible(root, coll, kDataset);
  RC_ASSERT(verdicts.size() == all.size());
  for (int i = 0; i < n; ++i) {
    RC_ASSERT(DigestOf(*cl.members[i], coll) == digest);
    RC_ASSERT(Verdicts(*cl.members[i], coll) == verdicts);
    CheckNothingFromInvalid(*cl.members[i], coll);
  }
  for (auto& replica : cl.replicas) {
    std::mt19937_64 rng(Seed());
    std::vector<std::string> order;
    for (size_t i = 1; i < all.size(); ++i) {
      order.push_back(all[i]);
      if (rng() % 4 == 0) order.push_back(all[i]);
    }
    std::shuffle(order.begin(), order.end(), rng);
    Deliver(*replica, {genesis});
    Deliver(*replica, order);
    RC_ASSERT(Verdicts(*replica, coll) == verdicts);
    RC_ASSERT(ScanVisible(*replica, coll, kDataset) == visible);
    RC_ASSERT(DigestOf(*replica, coll) == digest);
    CheckNothingFromInvalid(*replica, coll);
  }
  size_t invalid = 0;
  for (const auto& [_, ok] : verdicts) invalid += !ok;
  RC_CLASSIFY(invalid > 0, "with invalid commits");
  RC_CLASSIFY(acl_commits > 1, "with several grants/revokes");
  RC_TAG(n);
}

TEST(AclProperty, RandomHistoriesOfGrantsRevokesAndWritesConverge) {
  Cluster cluster;
  ASSERT_TRUE(cluster.ok());
  auto params = rc::detail::configuration().testParams;
  if (std::getenv("RC_PARAMS") == nullptr) params.maxSuccess = kRuns;
  rc::detail::TestMetadata metadata;
  metadata.id = "AclProperty/RandomHistoriesOfGrantsRevokesAndWritesConverge";
  auto result = rc::detail::checkTestable([&] { RunHistory(cluster); }, metadata, params);
  std::ostringstream message;
  rc::detail::printResultMessage(result, message);
  if (!result.template is<rc::detail::SuccessResult>()) FAIL() << message.str();
  std::cout << message.str() << std::endl;
}

}  // namespace
}  // namespace kongsi::node
