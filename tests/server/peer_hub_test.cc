// PeerHub's rule for two links up at once between one pair of nodes: both
// ends must keep the same physical link, whichever registered first, or the
// pair would close both and reconnect forever. Links here are bare PeerLinks
// that record their shutdown: the rule is the hub's alone, and the transport
// around it is covered by peer_transport_test.cc and limits_test.cc.
#include "server/peer_hub.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/node/test_cluster.h"

namespace kongsi::server::testing {
namespace {

using ::testing::HasSubstr;

struct RecordingLink : PeerLink {
  void NotifyCommit(const std::string&) override {}
  void RefreshSession() override {}
  void Shutdown(uint16_t, std::string why) override {
    shut = true;
    reason = std::move(why);
  }
  bool shut = false;
  std::string reason;
};

struct HubEnd {
  explicit HubEnd(const std::string& dir, const std::string& name)
      : node(node::testing::InitNode(dir, name)), hub(std::make_shared<PeerHub>(*node, registry)) {}
  std::string id() const { return node->identity().node_id(); }
  std::unique_ptr<node::Node> node;
  PeerRegistry registry;
  std::shared_ptr<PeerHub> hub;
};

// One end registers its two links to `peer` in the given order; returns the
// link it kept (the other must have been refused or shut down).
std::shared_ptr<RecordingLink> Settle(HubEnd& end, const std::string& peer, bool inbound_first,
                                      std::shared_ptr<RecordingLink> inbound,
                                      std::shared_ptr<RecordingLink> outbound) {
  auto first = inbound_first ? inbound : outbound;
  auto second = inbound_first ? outbound : inbound;
  EXPECT_TRUE(end.hub->Register(first, peer, first == inbound).ok());
  Status s = end.hub->Register(second, peer, second == inbound);
  if (!s.ok()) {
    EXPECT_THAT(s.message(), HasSubstr("duplicate connection"));
    EXPECT_FALSE(first->shut);
    EXPECT_TRUE(end.hub->IsCurrent(first.get(), peer));
    return first;
  }
  EXPECT_TRUE(first->shut) << "the first link was neither kept nor closed";
  EXPECT_THAT(first->reason, HasSubstr("(kMaxLinksPerPeer)"));
  EXPECT_TRUE(end.hub->IsCurrent(second.get(), peer));
  return second;
}

TEST(PeerHubTest, TwoLinksUpAtOnceSettleOnTheOneDialledByTheSmallerNodeIdAtBothEnds) {
  node::testing::TempDir dir;
  HubEnd a(dir.Sub("a"), "ngo-a"), b(dir.Sub("b"), "ngo-b");
  const std::string smaller = std::min(a.id(), b.id());
  for (bool a_inbound_first : {false, true}) {
    for (bool b_inbound_first : {false, true}) {
      SCOPED_TRACE("A inbound first: " + std::to_string(a_inbound_first) +
                   ", B inbound first: " + std::to_string(b_inbound_first));
      // Two physical links: one A dialled, one B dialled. Each has an end at
      // A and an end at B.
      auto a_dialled_at_a = std::make_shared<RecordingLink>(), a_dialled_at_b = std::make_shared<RecordingLink>();
      auto b_dialled_at_a = std::make_shared<RecordingLink>(), b_dialled_at_b = std::make_shared<RecordingLink>();
      auto kept_at_a = Settle(a, b.id(), a_inbound_first, /*inbound=*/b_dialled_at_a, /*outbound=*/a_dialled_at_a);
      auto kept_at_b = Settle(b, a.id(), b_inbound_first, /*inbound=*/a_dialled_at_b, /*outbound=*/b_dialled_at_b);
      const bool a_dialled_kept = smaller == a.id();
      EXPECT_EQ(kept_at_a, a_dialled_kept ? a_dialled_at_a : b_dialled_at_a);
      EXPECT_EQ(kept_at_b, a_dialled_kept ? a_dialled_at_b : b_dialled_at_b);
      ASSERT_TRUE(a.hub->Unregister(kept_at_a.get(), b.id(), ""));
      ASSERT_TRUE(b.hub->Unregister(kept_at_b.get(), a.id(), ""));
    }
  }
}

TEST(PeerHubTest, AReconnectFromTheSameSideReplacesTheOldLink) {
  node::testing::TempDir dir;
  HubEnd a(dir.Sub("a"), "ngo-a"), b(dir.Sub("b"), "ngo-b");
  auto old_link = std::make_shared<RecordingLink>(), new_link = std::make_shared<RecordingLink>();
  ASSERT_TRUE(a.hub->Register(old_link, b.id(), /*inbound=*/true).ok());
  ASSERT_TRUE(a.hub->Register(new_link, b.id(), /*inbound=*/true).ok());
  EXPECT_TRUE(old_link->shut);
  EXPECT_TRUE(a.hub->IsCurrent(new_link.get(), b.id()));
  // The old link's own end, arriving late, must not unregister the new one.
  EXPECT_FALSE(a.hub->Unregister(old_link.get(), b.id(), "late"));
  EXPECT_TRUE(a.hub->IsConnected(b.id()));
}

}  // namespace
}  // namespace kongsi::server::testing
