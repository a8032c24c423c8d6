#include "node/hlc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace kongsi::node {
namespace {

constexpr uint64_t kT0 = 1'700'000'000'000;  // Nov 2023, in ms

TEST(HlcTest, FollowsTheWallClock) {
  uint64_t now = kT0;
  HybridClock clock([&] { return now; });
  uint64_t a = clock.Now();
  EXPECT_EQ(a, HlcFromMs(kT0));
  EXPECT_EQ(HlcMs(a), kT0);
  EXPECT_EQ(HlcCounter(a), 0u);
  now += 5;
  EXPECT_EQ(clock.Now(), HlcFromMs(kT0 + 5));
}

TEST(HlcTest, StrictlyIncreasingUnderAFrozenClockPastCounterOverflow) {
  HybridClock clock([] { return kT0; });
  uint64_t previous = clock.Now();
  constexpr int kCalls = 200'000;  // > 65536: the counter carries into the ms part
  for (int i = 0; i < kCalls; ++i) {
    uint64_t next = clock.Now();
    ASSERT_GT(next, previous) << "call " << i;
    previous = next;
  }
  EXPECT_EQ(previous, HlcFromMs(kT0) + kCalls);
  EXPECT_GT(HlcMs(previous), kT0);  // borrowed into the millisecond part
}

TEST(HlcTest, StrictlyIncreasingWhenTheWallClockStepsBack) {
  uint64_t now = kT0;
  HybridClock clock([&] { return now; });
  uint64_t a = clock.Now();
  now -= 60'000;
  uint64_t b = clock.Now();
  EXPECT_EQ(b, a + 1);
}

TEST(HlcTest, ObserveMaxMerges) {
  uint64_t now = kT0;
  HybridClock clock([&] { return now; });
  uint64_t local = clock.Now();
  uint64_t remote = HlcFromMs(kT0 + 60'000) | 42;  // a peer one minute ahead
  clock.Observe(remote);
  uint64_t after = clock.Now();
  EXPECT_GT(after, remote);
  EXPECT_EQ(after, remote + 1);
  // An older remote value changes nothing.
  clock.Observe(local);
  EXPECT_EQ(clock.Now(), after + 1);
  // Once the wall clock passes the merged value, the wall clock wins again.
  now = kT0 + 120'000;
  EXPECT_EQ(clock.Now(), HlcFromMs(now));
}

TEST(HlcTest, ObserveIgnoresValuesTooFarAhead) {
  HybridClock clock([] { return kT0; });
  uint64_t before = clock.Now();
  clock.Observe(HlcFromMs(kT0 + kMaxClockSkewMs + 1));
  clock.Observe(~uint64_t{0});
  EXPECT_EQ(clock.Now(), before + 1);
}

TEST(HlcTest, TooFarAheadEdge) {
  EXPECT_EQ(kMaxClockSkewMs, 5u * 60 * 1000);
  EXPECT_FALSE(HybridClock::TooFarAhead(HlcFromMs(kT0), kT0));
  EXPECT_FALSE(HybridClock::TooFarAhead(HlcFromMs(kT0 - 1'000'000), kT0));
  // Exactly five minutes ahead is accepted, whatever the counter says.
  EXPECT_FALSE(HybridClock::TooFarAhead(HlcFromMs(kT0 + kMaxClockSkewMs), kT0));
  EXPECT_FALSE(HybridClock::TooFarAhead(HlcFromMs(kT0 + kMaxClockSkewMs) | 0xffff, kT0));
  // One millisecond more is rejected.
  EXPECT_TRUE(HybridClock::TooFarAhead(HlcFromMs(kT0 + kMaxClockSkewMs + 1), kT0));
  EXPECT_TRUE(HybridClock::TooFarAhead(~uint64_t{0}, kT0));
  // No wrap-around near the top of the range.
  EXPECT_FALSE(HybridClock::TooFarAhead(~uint64_t{0}, ~uint64_t{0}));
}

TEST(HlcTest, SystemClockIsPlausible) {
  HybridClock clock;
  uint64_t now = clock.Now();
  EXPECT_GT(HlcMs(now), kT0);
  EXPECT_FALSE(HybridClock::TooFarAhead(now, SystemNowMs()));
}

TEST(HlcTest, ConcurrentCallersGetDistinctValues) {
  HybridClock clock([] { return kT0; });
  constexpr int kThreads = 4, kPerThread = 10'000;
  std::vector<std::vector<uint64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        seen[t].push_back(clock.Now());
        if (i % 100 == 0) clock.Observe(HlcFromMs(kT0) + i);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<uint64_t> all;
  for (const auto& values : seen) {
    for (size_t i = 1; i < values.size(); ++i) ASSERT_GT(values[i], values[i - 1]);
    all.insert(all.end(), values.begin(), values.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
}

}  // namespace
}  // namespace kongsi::node
