// StoredCommitDeps and StoredCommitHlc read by walking the wire format; they
// must agree with a full decode whatever else the commit holds.
#include <gtest/gtest.h>

#include <string>

#include "node/commit_deps.h"
#include "node/node.h"

namespace kongsi::node {
namespace {

v1::StoredCommit Store(const v1::Commit& c) {
  v1::SignedCommit sc;
  sc.set_commit(c.SerializeAsString());
  sc.set_signature(std::string(64, 's'));
  v1::StoredCommit stored;
  stored.set_signed_(sc.SerializeAsString());
  stored.set_valid(true);
  return stored;
}

TEST(CommitDepsTest, AgreesWithAFullDecodeAroundOpsAndNotes) {
  v1::Commit c;
  c.set_collection(std::string(16, 'c'));
  c.set_author(std::string(32, 'a'));
  c.set_seq(9);
  c.set_hlc(123456789);
  for (char author : {'b', 'd', 'e'}) {
    v1::VersionEntry* e = c.add_deps();
    e->set_author(std::string(32, author));
    e->set_seq(static_cast<uint64_t>(author));
  }
  for (int i = 0; i < 100; ++i) c.add_ops();  // skipped, not decoded
  c.set_note("a note after the ops");
  v1::StoredCommit stored = Store(c);
  auto deps = StoredCommitDeps(stored);
  ASSERT_TRUE(deps.ok()) << deps.status().ToString();
  auto full = DecodeStoredCommit(stored);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(*deps, VersionVector::FromProto(full->deps()));
  EXPECT_EQ(deps->Get(std::string(32, 'd')), static_cast<uint64_t>('d'));
  EXPECT_EQ(deps->Total(), static_cast<uint64_t>('b' + 'd' + 'e'));
}

TEST(CommitDepsTest, TheHlcAgreesWithAFullDecodeAroundOpsAndNotes) {
  v1::Commit c;
  c.set_seq(4);
  c.set_hlc((uint64_t{1764990000000} << 16) | 7);  // a real stamp: more than 32 bits
  for (int i = 0; i < 100; ++i) c.add_ops()->mutable_upsert()->set_dataset("d");
  c.set_note("after");
  v1::StoredCommit stored = Store(c);
  auto hlc = StoredCommitHlc(stored);
  ASSERT_TRUE(hlc.ok()) << hlc.status().ToString();
  EXPECT_EQ(*hlc, DecodeStoredCommit(stored)->hlc());
  EXPECT_EQ(*hlc, c.hlc());
  c.clear_hlc();  // proto3 leaves a zero out of the bytes
  EXPECT_EQ(*StoredCommitHlc(Store(c)), 0u);
}

TEST(CommitDepsTest, AWantedFieldOfAnotherWireTypeIsSkippedAsProtobufDoes) {
  // A commit whose hlc (field 4) is sent as bytes and whose deps (field 5)
  // as a varint: protobuf keeps both as unknown fields, so the full decode
  // sees hlc 0 and no deps, and the header reads must say the same, not
  // call the stored commit corrupt (a signed commit is stored as sent).
  v1::SignedCommit sc;
  sc.set_commit(std::string("\x18\x07" "\x22\x01z" "\x28\x05", 7));  // seq 7; hlc as bytes; deps as varint
  v1::StoredCommit stored;
  stored.set_signed_(sc.SerializeAsString());
  auto full = DecodeStoredCommit(stored);
  ASSERT_TRUE(full.ok());
  ASSERT_EQ(full->seq(), 7u);
  auto hlc = StoredCommitHlc(stored);
  ASSERT_TRUE(hlc.ok()) << hlc.status().ToString();
  EXPECT_EQ(*hlc, full->hlc());
  auto deps = StoredCommitDeps(stored);
  ASSERT_TRUE(deps.ok()) << deps.status().ToString();
  EXPECT_TRUE(deps->empty());
  EXPECT_EQ(full->deps_size(), 0);
}

TEST(CommitDepsTest, AGenesisHasNoDeps) {
  v1::Commit c;
  c.set_seq(1);
  auto deps = StoredCommitDeps(Store(c));
  ASSERT_TRUE(deps.ok());
  EXPECT_TRUE(deps->empty());
}

TEST(CommitDepsTest, BrokenBytesAreCorruption) {
  v1::StoredCommit stored = Store(v1::Commit{});
  std::string cut = stored.signed_();
  cut.push_back('\x0a');  // a field tag with no length after it
  stored.set_signed_(cut);
  EXPECT_EQ(StoredCommitDeps(stored).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(StoredCommitHlc(stored).status().code(), Status::Code::kCorruption);
  stored.set_signed_("\x0a\x05" "abc");  // a length past the end
  EXPECT_EQ(StoredCommitDeps(stored).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(StoredCommitHlc(stored).status().code(), Status::Code::kCorruption);
  stored.set_signed_("");  // no commit at all
  EXPECT_EQ(StoredCommitDeps(stored).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(StoredCommitHlc(stored).status().code(), Status::Code::kCorruption);

}

}  // namespace
}  // namespace kongsi::node
