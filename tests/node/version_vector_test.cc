// Version vectors and causality (DESIGN §1, §4, §5).
#include "node/version_vector.h"

#include <string>

#include <gtest/gtest.h>

#include "node/acl.h"

namespace kongsi::node {
namespace {

const std::string kA(32, 'a');
const std::string kB(32, 'b');
const std::string kC(32, 'c');

VersionVector Vv(std::initializer_list<std::pair<std::string, uint64_t>> entries) {
  VersionVector vv;
  for (const auto& [a, s] : entries) vv.Set(a, s);
  return vv;
}

TEST(VersionVectorTest, GetSetAndZeroEntriesAreAbsent) {
  VersionVector vv;
  EXPECT_TRUE(vv.empty());
  EXPECT_EQ(vv.Get(kA), 0u);
  vv.Set(kA, 3);
  EXPECT_EQ(vv.Get(kA), 3u);
  EXPECT_FALSE(vv.empty());
  vv.Set(kA, 0);
  EXPECT_TRUE(vv.empty());
  EXPECT_EQ(vv, VersionVector());
}

TEST(VersionVectorTest, IncludesIsAtOrBelow) {
  VersionVector vv = Vv({{kA, 2}});
  EXPECT_TRUE(vv.Includes(kA, 1));
  EXPECT_TRUE(vv.Includes(kA, 2));
  EXPECT_FALSE(vv.Includes(kA, 3));
  EXPECT_FALSE(vv.Includes(kB, 1));
}

TEST(VersionVectorTest, DominatesIsAPartialOrder) {
  VersionVector x = Vv({{kA, 2}, {kB, 1}});
  VersionVector y = Vv({{kA, 1}, {kB, 1}});
  VersionVector z = Vv({{kA, 1}, {kB, 2}});
  EXPECT_TRUE(x.Dominates(y));
  EXPECT_FALSE(y.Dominates(x));
  EXPECT_TRUE(x.Dominates(x));
  EXPECT_TRUE(x.Dominates(VersionVector()));
  EXPECT_FALSE(VersionVector().Dominates(x));
  // Concurrent versions: neither dominates.
  EXPECT_FALSE(x.Dominates(z));
  EXPECT_FALSE(z.Dominates(x));
  // An entry missing on one side counts as 0.
  EXPECT_FALSE(x.Dominates(Vv({{kC, 1}})));
}

TEST(VersionVectorTest, MergeIsPointwiseMax) {
  VersionVector x = Vv({{kA, 2}, {kB, 1}});
  x.MergeFrom(Vv({{kA, 1}, {kB, 5}, {kC, 3}}));
  EXPECT_EQ(x, Vv({{kA, 2}, {kB, 5}, {kC, 3}}));
  EXPECT_EQ(x.Total(), 10u);
  // Idempotent and commutative.
  VersionVector y = Vv({{kA, 1}, {kB, 5}, {kC, 3}});
  y.MergeFrom(Vv({{kA, 2}, {kB, 1}}));
  EXPECT_EQ(x, y);
  y.MergeFrom(y);
  EXPECT_EQ(x, y);
}

TEST(VersionVectorTest, ProtoIsSortedWithoutZerosAndRoundTrips) {
  VersionVector vv = Vv({{kC, 1}, {kA, 4}, {kB, 2}});
  v1::VersionVector proto = vv.ToProto();
  ASSERT_EQ(proto.entries_size(), 3);
  EXPECT_EQ(proto.entries(0).author(), kA);
  EXPECT_EQ(proto.entries(1).author(), kB);
  EXPECT_EQ(proto.entries(2).author(), kC);
  EXPECT_EQ(proto.entries(0).seq(), 4u);
  EXPECT_EQ(VersionVector::FromProto(proto), vv);

  // Zero entries never reach the wire form.
  v1::VersionVector with_zero;
  auto* e = with_zero.add_entries();
  e->set_author(kB);
  e->set_seq(0);
  EXPECT_TRUE(VersionVector::FromProto(with_zero).empty());
  EXPECT_EQ(VersionVector::FromProto(with_zero).ToProto().entries_size(), 0);

  // ToProto(out) replaces what was there.
  VersionVector::Entries out;
  Vv({{kA, 9}}).ToProto(&out);
  vv.ToProto(&out);
  EXPECT_EQ(out.size(), 3);
}

TEST(VersionVectorTest, FromProtoKeepsTheHighestOfRepeatedAuthors) {
  v1::VersionVector proto;
  for (uint64_t s : {3u, 7u, 5u}) {
    auto* e = proto.add_entries();
    e->set_author(kA);
    e->set_seq(s);
  }
  EXPECT_EQ(VersionVector::FromProto(proto).Get(kA), 7u);
}

TEST(VersionVectorTest, CausalPastFollowsDesignSection4) {
  // Same author: earlier seqs are in the past, the commit itself is not.
  EXPECT_TRUE(InCausalPast(kA, 1, kA, 2, VersionVector()));
  EXPECT_FALSE(InCausalPast(kA, 2, kA, 2, Vv({{kA, 1}})));
  EXPECT_FALSE(InCausalPast(kA, 3, kA, 2, Vv({{kA, 1}})));
  // Another author: only through deps.
  EXPECT_TRUE(InCausalPast(kA, 2, kB, 1, Vv({{kA, 2}})));
  EXPECT_TRUE(InCausalPast(kA, 1, kB, 1, Vv({{kA, 2}})));
  EXPECT_FALSE(InCausalPast(kA, 3, kB, 1, Vv({{kA, 2}})));
  EXPECT_FALSE(InCausalPast(kA, 1, kB, 1, VersionVector()));
}

TEST(VersionVectorTest, OpPointPrecedesWithinACommitByIndex) {
  OpPoint first{kA, 2, 0, Vv({{kA, 1}}), 100};
  OpPoint second{kA, 2, 1, Vv({{kA, 1}}), 100};
  EXPECT_TRUE(first.Precedes(second));
  EXPECT_FALSE(second.Precedes(first));
  EXPECT_FALSE(first.Precedes(first));
  OpPoint other{kB, 1, 0, Vv({{kA, 2}}), 50};
  EXPECT_TRUE(second.Precedes(other));  // B had seen A:2 (all its ops)
  EXPECT_FALSE(other.Precedes(second));
  OpPoint concurrent{kB, 1, 0, Vv({{kA, 1}}), 50};
  EXPECT_FALSE(first.Precedes(concurrent));
  EXPECT_FALSE(concurrent.Precedes(first));
}

}  // namespace
}  // namespace kongsi::node
