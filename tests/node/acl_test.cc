// The ACL engine (DESIGN §6, normative), on the pure Acl class.
#include "node/acl.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

#include <gtest/gtest.h>

#include "node/identity.h"
#include "node/validity.h"

namespace kongsi::node {
namespace {

// Author public keys (32 bytes) and their org IDs.
const std::string kA(32, 'a');  // genesis author
const std::string kB(32, 'b');
const std::string kC(32, 'c');
const std::string kOrgA = NodeIdFromPublicKey(kA);
const std::string kOrgB = NodeIdFromPublicKey(kB);
const std::string kOrgC = NodeIdFromPublicKey(kC);
const std::string kW(32, 'w');
const std::string kX(32, 'x');
const std::string kY(32, 'y');
const std::string kOrgW = NodeIdFromPublicKey(kW);
const std::string kOrgX = NodeIdFromPublicKey(kX);
const std::string kOrgY = NodeIdFromPublicKey(kY);

VersionVector Vv(std::initializer_list<std::pair<std::string, uint64_t>> entries) {
  VersionVector vv;
  for (const auto& [a, s] : entries) vv.Set(a, s);
  return vv;
}

OpPoint At(const std::string& author, uint64_t seq, VersionVector deps = {}, uint32_t index = 0) {
  OpPoint p;
  p.author = author;
  p.seq = seq;
  p.index = index;
  p.hlc = 1000 + seq;
  if (seq > 1 && deps.Get(author) == 0) deps.Set(author, seq - 1);
  p.deps = std::move(deps);
  return p;
}

AclOp Genesis(const std::string& author) {
  AclOp op;
  op.at = At(author, 1);
  op.org = NodeIdFromPublicKey(author);
  op.role = v1::ROLE_ADMIN;
  op.genesis = true;
  return op;
}

AclOp Grant(OpPoint at, const std::string& org, v1::Role role) {
  AclOp op;
  op.at = std::move(at);
  op.org = org;
  op.role = role;
  return op;
}

AclOp Revoke(OpPoint at, const std::string& org) {
  AclOp op;
  op.at = std::move(at);
  op.org = org;
  op.revoke = true;
  return op;
}

TEST(AclTest, RoleNamesParseAndPrint) {
  v1::Role r = v1::ROLE_NONE;
  EXPECT_TRUE(ParseRole("reader", &r));
  EXPECT_EQ(r, v1::ROLE_READER);
  EXPECT_TRUE(ParseRole("writer", &r));
  EXPECT_EQ(r, v1::ROLE_WRITER);
  EXPECT_TRUE(ParseRole("admin", &r));
  EXPECT_EQ(r, v1::ROLE_ADMIN);
  EXPECT_FALSE(ParseRole("Admin", &r));
  EXPECT_FALSE(ParseRole("", &r));
  EXPECT_STREQ(RoleName(v1::ROLE_WRITER), "writer");
  EXPECT_STREQ(RoleName(v1::ROLE_NONE), "none");
}

TEST(AclTest, GenesisAuthorIsAdmin) {
  Acl acl;
  acl.Add(Genesis(kA));
  EXPECT_EQ(acl.CurrentRole(kOrgA), v1::ROLE_ADMIN);
  EXPECT_EQ(acl.RoleAt(kOrgA, At(kA, 2)), v1::ROLE_ADMIN);
  // Later ops of the genesis commit itself see it; the genesis op does not.
  EXPECT_EQ(acl.RoleAt(kOrgA, At(kA, 1, {}, 1)), v1::ROLE_ADMIN);
  EXPECT_EQ(acl.RoleAt(kOrgA, At(kA, 1, {}, 0)), v1::ROLE_NONE);
  // Another author who has seen the genesis sees A as admin, and is nothing.
  EXPECT_EQ(acl.RoleAt(kOrgA, At(kB, 1, Vv({{kA, 1}}))), v1::ROLE_ADMIN);
  EXPECT_EQ(acl.RoleAt(kOrgB, At(kB, 1, Vv({{kA, 1}}))), v1::ROLE_NONE);
  EXPECT_EQ(acl.CurrentRole(kOrgB), v1::ROLE_NONE);
}

TEST(AclTest, AGrantCountsOnlyAtDepsThatIncludeIt) {
  Acl acl;
  acl.Add(Genesis(kA));
  acl.Add(Grant(At(kA, 2), kOrgB, v1::ROLE_WRITER));
  EXPECT_EQ(acl.CurrentRole(kOrgB), v1::ROLE_WRITER);
  // B's commit made before it saw the grant: no role.
  EXPECT_EQ(acl.RoleAt(kOrgB, At(kB, 1, Vv({{kA, 1}}))), v1::ROLE_NONE);
  // After seeing it: writer.
  EXPECT_EQ(acl.RoleAt(kOrgB, At(kB, 1, Vv({{kA, 2}}))), v1::ROLE_WRITER);
  // A later op of the granting commit sees it too.
  EXPECT_EQ(acl.RoleAt(kOrgB, At(kA, 2, {}, 1)), v1::ROLE_WRITER);
}

TEST(AclTest, ARevokeCountsOnlyAtDepsThatIncludeIt) {
  Acl acl;
  acl.Add(Genesis(kA));
  acl.Add(Grant(At(kA, 2), kOrgB, v1::ROLE_WRITER));
  acl.Add(Revoke(At(kA, 3), kOrgB));
  EXPECT_EQ(acl.CurrentRole(kOrgB), v1::ROLE_NONE);
  EXPECT_EQ(acl.RoleAt(kOrgB, At(kB, 1, Vv({{kA, 2}}))), v1::ROLE_WRITER);
  EXPECT_EQ(acl.RoleAt(kOrgB, At(kB, 2, Vv({{kA, 3}}))), v1::ROLE_NONE);
}

TEST(AclTest, ALaterGrantReplacesTheRole) {
  Acl acl;
  acl.Add(Genesis(kA));
  acl.Add(Grant(At(kA, 2), kOrgB, v1::ROLE_ADMIN));
  acl.Add(Grant(At(kA, 3), kOrgB, v1::ROLE_READER));  // causally later: a downgrade
  EXPECT_EQ(acl.CurrentRole(kOrgB), v1::ROLE_READER);
  EXPECT_EQ(acl.RoleAt(kOrgB, At(kC, 1, Vv({{kA, 2}}))), v1::ROLE_ADMIN);
}

// Admins A and C; A revokes B while C, not having seen it, upgrades B.
class AclConcurrentTest : public ::testing::TestWithParam<bool> {};

TEST_P(AclConcurrentTest, ConcurrentGrantAndRevokeRevokeWins) {
  AclOp revoke = Revoke(At(kA, 3), kOrgB);
  AclOp grant = Grant(At(kC, 1, Vv({{kA, 2}})), kOrgB, v1::ROLE_ADMIN);
  Acl acl;
  acl.Add(Genesis(kA));
  acl.Add(Grant(At(kA, 2), kOrgC, v1::ROLE_ADMIN));
  acl.Add(Grant(At(kA, 2, {}, 1), kOrgB, v1::ROLE_WRITER));
  // The order ops are added in must not matter.
  if (GetParam()) {
    acl.Add(revoke);
    acl.Add(grant);
  } else {
    acl.Add(grant);
    acl.Add(revoke);
  }
  EXPECT_EQ(acl.CurrentRole(kOrgB), v1::ROLE_NONE);
  // Whoever saw both: none, whatever the timestamps.
  EXPECT_EQ(acl.RoleAt(kOrgB, At(kB, 1, Vv({{kA, 3}, {kC, 1}}))), v1::ROLE_NONE);
  // Whoever saw only the grant: admin; only the revoke: none.
  EXPECT_EQ(acl.RoleAt(kOrgB, At(kB, 1, Vv({{kA, 2}, {kC, 1}}))), v1::ROLE_ADMIN);
  EXPECT_EQ(acl.RoleAt(kOrgB, At(kB, 1, Vv({{kA, 3}}))), v1::ROLE_NONE);
  // A re-grant that follows both gives the role back.
  acl.Add(Grant(At(kA, 4, Vv({{kC, 1}})), kOrgB, v1::ROLE_READER));
  EXPECT_EQ(acl.CurrentRole(kOrgB), v1::ROLE_READER);
}

TEST_P(AclConcurrentTest, RevokeWinsEvenWithAnOlderTimestamp) {
  AclOp revoke = Revoke(At(kA, 3), kOrgB);
  revoke.at.hlc = 1;  // backdated
  AclOp grant = Grant(At(kC, 1, Vv({{kA, 2}})), kOrgB, v1::ROLE_WRITER);
  grant.at.hlc = 1'000'000;
  Acl acl;
  acl.Add(Genesis(kA));
  acl.Add(Grant(At(kA, 2), kOrgC, v1::ROLE_ADMIN));
  acl.Add(Grant(At(kA, 2, {}, 1), kOrgB, v1::ROLE_WRITER));
  acl.Add(GetParam() ? revoke : grant);
  acl.Add(GetParam() ? grant : revoke);
  EXPECT_EQ(acl.CurrentRole(kOrgB), v1::ROLE_NONE);
}

TEST_P(AclConcurrentTest, MutualConcurrentRevocationsBothApply) {
  AclOp a_revokes_c = Revoke(At(kA, 3), kOrgC);
  AclOp c_revokes_a = Revoke(At(kC, 1, Vv({{kA, 2}})), kOrgA);
  Acl acl;
  acl.Add(Genesis(kA));
  acl.Add(Grant(At(kA, 2), kOrgC, v1::ROLE_ADMIN));
  // Each is allowed at its own deps: one admin would remain.
  EXPECT_EQ(acl.AdminsAfter(a_revokes_c.at, a_revokes_c), 1);
  EXPECT_EQ(acl.AdminsAfter(c_revokes_a.at, c_revokes_a), 1);
  acl.Add(GetParam() ? a_revokes_c : c_revokes_a);
  acl.Add(GetParam() ? c_revokes_a : a_revokes_c);
  EXPECT_EQ(acl.CurrentRole(kOrgA), v1::ROLE_NONE);
  EXPECT_EQ(acl.CurrentRole(kOrgC), v1::ROLE_NONE);
}

INSTANTIATE_TEST_SUITE_P(AclBothOrders, AclConcurrentTest, ::testing::Bool());

TEST(AclTest, AdminsAfterRefusesRemovingTheLastAdmin) {
  Acl acl;
  acl.Add(Genesis(kA));
  acl.Add(Grant(At(kA, 2), kOrgB, v1::ROLE_WRITER));
  // Revoking the only admin (itself) leaves none.
  EXPECT_EQ(acl.AdminsAfter(At(kA, 3), Revoke(At(kA, 3), kOrgA)), 0);
  // Revoking a writer keeps the admin.
  EXPECT_EQ(acl.AdminsAfter(At(kA, 3), Revoke(At(kA, 3), kOrgB)), 1);
  // With a second admin, either may go.
  acl.Add(Grant(At(kA, 3), kOrgC, v1::ROLE_ADMIN));
  EXPECT_EQ(acl.AdminsAfter(At(kA, 4), Revoke(At(kA, 4), kOrgA)), 1);
  EXPECT_EQ(acl.AdminsAfter(At(kA, 4), Revoke(At(kA, 4), kOrgC)), 1);
  // Only what is at the deps counts: before C's grant, A is the last admin.
  EXPECT_EQ(acl.AdminsAfter(At(kB, 1, Vv({{kA, 2}})), Revoke(At(kB, 1, Vv({{kA, 2}})), kOrgA)), 0);
  // A grant of admin adds one.
  EXPECT_EQ(acl.AdminsAfter(At(kA, 4), Grant(At(kA, 4), kOrgB, v1::ROLE_ADMIN)), 3);
  // AdminsAfter does not change the ACL.
  EXPECT_EQ(acl.CurrentRole(kOrgA), v1::ROLE_ADMIN);
  EXPECT_EQ(acl.CurrentRole(kOrgB), v1::ROLE_WRITER);
}

TEST(AclTest, MembersListsEveryNamedOrgSortedWithItsRole) {
  Acl acl;
  acl.Add(Genesis(kA));
  acl.Add(Grant(At(kA, 2), kOrgB, v1::ROLE_WRITER));
  acl.Add(Grant(At(kA, 3), kOrgC, v1::ROLE_READER));
  acl.Add(Revoke(At(kA, 4), kOrgB));
  std::vector<Member> members = acl.Members();
  ASSERT_EQ(members.size(), 3u);
  for (size_t i = 1; i < members.size(); ++i) EXPECT_LT(members[i - 1].org, members[i].org);
  std::map<std::string, v1::Role> roles;
  for (const auto& m : members) roles[m.org] = m.role;
  EXPECT_EQ(roles[kOrgA], v1::ROLE_ADMIN);
  EXPECT_EQ(roles[kOrgB], v1::ROLE_NONE);
  EXPECT_EQ(roles[kOrgC], v1::ROLE_READER);
  // A filter restricts the ops that count.
  auto before_revoke = acl.Members([](const AclOp& op) { return op.at.seq <= 3; });
  for (const auto& m : before_revoke) {
    if (m.org == kOrgB) {
      EXPECT_EQ(m.role, v1::ROLE_WRITER);
    }
  }
}

// ---- verdicts (JudgeAcl, JudgeCommit) ----

using OpKey = std::tuple<std::string, uint64_t, uint32_t>;

// The verdict of every op, judged with the ops added in every order: the
// verdicts must not depend on it.
std::map<OpKey, bool> JudgeEveryOrder(std::vector<AclOp> ops) {
  std::vector<size_t> order(ops.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::map<OpKey, bool> first;
  do {
    Acl acl;
    for (size_t i : order) acl.Add(ops[i]);
    JudgeAcl(&acl);
    std::map<OpKey, bool> verdicts;
    for (const auto& op : acl.ops()) verdicts[{op.at.author, op.at.seq, op.at.index}] = op.valid;
    if (first.empty()) first = verdicts;
    EXPECT_EQ(verdicts, first);
  } while (std::next_permutation(order.begin(), order.end()));
  return first;
}

bool ValidIn(const std::map<OpKey, bool>& verdicts, const AclOp& op) {
  return verdicts.at({op.at.author, op.at.seq, op.at.index});
}

Acl Judged(const std::vector<AclOp>& ops) {
  Acl acl;
  for (const auto& op : ops) acl.Add(op);
  JudgeAcl(&acl);
  return acl;
}

// C revokes B while B, concurrently, revokes W: B's revocation is cut (it
// is not a mutual removal), so W keeps its role.
TEST(AclVerdictTest, ARevokeByAConcurrentlyRevokedAdminDoesNothing) {
  AclOp c_revokes_b = Revoke(At(kC, 1, Vv({{kA, 2}})), kOrgB);
  AclOp b_revokes_w = Revoke(At(kB, 1, Vv({{kA, 2}})), kOrgW);
  std::vector<AclOp> ops = {Genesis(kA), Grant(At(kA, 2), kOrgB, v1::ROLE_ADMIN),
                            Grant(At(kA, 2, {}, 1), kOrgC, v1::ROLE_ADMIN),
                            Grant(At(kA, 2, {}, 2), kOrgW, v1::ROLE_WRITER), c_revokes_b, b_revokes_w};
  auto verdicts = JudgeEveryOrder(ops);
  EXPECT_TRUE(ValidIn(verdicts, c_revokes_b));
  EXPECT_FALSE(ValidIn(verdicts, b_revokes_w));
  Acl acl = Judged(ops);
  EXPECT_EQ(acl.CurrentRole(kOrgW), v1::ROLE_WRITER);
  EXPECT_EQ(acl.CurrentRole(kOrgB), v1::ROLE_NONE);
  EXPECT_EQ(acl.CurrentRole(kOrgC), v1::ROLE_ADMIN);
  // Admission still counts every op: B's revocation is in the full ACL.
  EXPECT_EQ(acl.RoleAt(kOrgW, At(kW, 1, Vv({{kA, 2}, {kB, 1}}))), v1::ROLE_NONE);
  EXPECT_EQ(acl.ValidRoleAt(kOrgW, At(kW, 1, Vv({{kA, 2}, {kB, 1}}))), v1::ROLE_WRITER);
}

// Z revokes X; X, concurrently, makes Y admin; Y, having seen that but not
// Z's revocation, revokes Z. A removal cycle through a delegation: both
// revocations apply, the delegation is cut, all three are out. (Judging the
// revocations one by one would flip forever: each defeats the other.)
TEST(AclVerdictTest, ARemovalCycleThroughADelegationRemovesEveryoneInIt) {
  const std::string kZ(32, 'z');
  const std::string org_z = NodeIdFromPublicKey(kZ);
  AclOp z_revokes_x = Revoke(At(kZ, 1, Vv({{kA, 2}})), kOrgX);
  AclOp x_grants_y = Grant(At(kX, 1, Vv({{kA, 2}})), kOrgY, v1::ROLE_ADMIN);
  AclOp y_revokes_z = Revoke(At(kY, 1, Vv({{kA, 2}, {kX, 1}})), org_z);
  std::vector<AclOp> ops = {Genesis(kA), Grant(At(kA, 2), org_z, v1::ROLE_ADMIN),
                            Grant(At(kA, 2, {}, 1), kOrgX, v1::ROLE_ADMIN), z_revokes_x, x_grants_y, y_revokes_z};
  auto verdicts = JudgeEveryOrder(ops);
  EXPECT_TRUE(ValidIn(verdicts, z_revokes_x));
  EXPECT_TRUE(ValidIn(verdicts, y_revokes_z));
  EXPECT_FALSE(ValidIn(verdicts, x_grants_y));
  Acl acl = Judged(ops);
  for (const auto& org : {kOrgX, kOrgY, org_z}) EXPECT_EQ(acl.CurrentRole(org), v1::ROLE_NONE);
  EXPECT_EQ(acl.CurrentRole(kOrgA), v1::ROLE_ADMIN);
}

// B revokes W, then B and C revoke each other concurrently: the mutual
// pair both apply, and B's earlier revocation of W, which C had not seen,
// is cut like any other commit of B.
TEST(AclVerdictTest, MutualRemovalSparesOnlyTheMutualRevocations) {
  AclOp b_revokes_w = Revoke(At(kB, 1, Vv({{kA, 2}})), kOrgW);
  AclOp c_revokes_b = Revoke(At(kC, 1, Vv({{kA, 2}})), kOrgB);
  AclOp b_revokes_c = Revoke(At(kB, 2, Vv({{kA, 2}})), kOrgC);
  std::vector<AclOp> ops = {Genesis(kA), Grant(At(kA, 2), kOrgB, v1::ROLE_ADMIN),
                            Grant(At(kA, 2, {}, 1), kOrgC, v1::ROLE_ADMIN),
                            Grant(At(kA, 2, {}, 2), kOrgW, v1::ROLE_WRITER), b_revokes_w, c_revokes_b, b_revokes_c};
  auto verdicts = JudgeEveryOrder(ops);
  EXPECT_TRUE(ValidIn(verdicts, c_revokes_b));
  EXPECT_TRUE(ValidIn(verdicts, b_revokes_c));
  EXPECT_FALSE(ValidIn(verdicts, b_revokes_w));
  Acl acl = Judged(ops);
  EXPECT_EQ(acl.CurrentRole(kOrgB), v1::ROLE_NONE);
  EXPECT_EQ(acl.CurrentRole(kOrgC), v1::ROLE_NONE);
  EXPECT_EQ(acl.CurrentRole(kOrgW), v1::ROLE_WRITER);
}

// Data commits: cut when the revoker had not seen them, unless their deps
// hold a re-grant that follows the revocation; none when the role they
// rely on came from an invalid grant.
TEST(AclVerdictTest, JudgeCommitCutsAndReGrants) {
  AclOp revoke = Revoke(At(kA, 3), kOrgW);
  AclOp regrant = Grant(At(kA, 4), kOrgW, v1::ROLE_WRITER);
  AclOp concurrent_grant = Grant(At(kB, 1, Vv({{kA, 2}})), kOrgW, v1::ROLE_WRITER);
  Acl acl = Judged({Genesis(kA), Grant(At(kA, 2), kOrgW, v1::ROLE_WRITER),
                    Grant(At(kA, 2, {}, 1), kOrgB, v1::ROLE_ADMIN), revoke, regrant, concurrent_grant});
  // Seen by the revoker: stays valid; not seen: cut, naming the revocation.
  Acl seen_one = Judged({Genesis(kA), Grant(At(kA, 2), kOrgW, v1::ROLE_WRITER), Revoke(At(kA, 3, Vv({{kW, 1}})), kOrgW),
                         regrant});
  EXPECT_TRUE(JudgeCommit(seen_one, kW, 1, Vv({{kA, 2}}), v1::ROLE_WRITER).valid);
  Verdict cut = JudgeCommit(seen_one, kW, 2, Vv({{kA, 2}, {kW, 1}}), v1::ROLE_WRITER);
  EXPECT_FALSE(cut.valid);
  EXPECT_NE(cut.reason.find("cut by the revocation"), std::string::npos) << cut.reason;
  // After seeing the re-grant: valid. A concurrent grant is no re-grant.
  EXPECT_TRUE(JudgeCommit(acl, kW, 2, Vv({{kA, 4}, {kW, 1}}), v1::ROLE_WRITER).valid);
  EXPECT_FALSE(JudgeCommit(acl, kW, 2, Vv({{kA, 2}, {kB, 1}, {kW, 1}}), v1::ROLE_WRITER).valid);
  // A role from a grant by a cut admin counts for nothing.
  Acl cut_admin = Judged({Genesis(kA), Grant(At(kA, 2), kOrgB, v1::ROLE_ADMIN), Revoke(At(kA, 3), kOrgB),
                          Grant(At(kB, 1, Vv({{kA, 2}})), kOrgX, v1::ROLE_WRITER)});
  Verdict none = JudgeCommit(cut_admin, kX, 1, Vv({{kA, 2}, {kB, 1}}), v1::ROLE_WRITER);
  EXPECT_FALSE(none.valid);
  EXPECT_NE(none.reason.find("none at its deps"), std::string::npos) << none.reason;
}

}  // namespace
}  // namespace kongsi::node
