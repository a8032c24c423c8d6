#include "node/importer_key_set.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>

namespace kongsi::node {
namespace {

TEST(KeyHashSetTest, SecondInsertOfAHashIsRefused) {
  KeyHashSet set;
  EXPECT_TRUE(set.Insert(42));
  EXPECT_FALSE(set.Insert(42));
  EXPECT_TRUE(set.Insert(43));
  EXPECT_EQ(set.size(), 2u);
}

TEST(KeyHashSetTest, ZeroIsStoredAsOne) {
  // Slot value 0 means empty; hashes 0 and 1 alias, which the importer
  // tolerates (a reported duplicate is confirmed by re-reading the file).
  KeyHashSet set;
  EXPECT_TRUE(set.Insert(0));
  EXPECT_FALSE(set.Insert(0));
  EXPECT_FALSE(set.Insert(1));
}

TEST(KeyHashSetTest, AgreesWithStdSetThroughManyGrowths) {
  // Enough hashes to grow the table several times, with repeats, and some
  // that share their low bits (the slot index) to force probing.
  KeyHashSet set;
  std::set<uint64_t> reference;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    uint64_t h = 2 + ((i % 3 == 0) ? (rng() << 20) : rng() % 5000);
    EXPECT_EQ(set.Insert(h), reference.insert(h).second) << "hash " << h;
  }
  EXPECT_EQ(set.size(), reference.size());
}

}  // namespace
}  // namespace kongsi::node
