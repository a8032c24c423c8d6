// Golden bytes guarding the wire format (DESIGN §3, §7 are normative: nodes
// built from different commits of this repo must interoperate).
//
// IF A GOLDEN TEST HERE FAILS, YOU CHANGED THE WIRE FORMAT. Do not paste new
// bytes to make it pass. Add new fields with new numbers; never renumber,
// retype or reuse a field (retire it with `reserved`).
#include <gmock/gmock.h>
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "kongsi/v1/commit.pb.h"
#include "kongsi/v1/sync.pb.h"
#include "node/hlc.h"
#include "node/identity.h"

namespace kongsi::node {
namespace {

using ::testing::HasSubstr;

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string Repeat(char c) { return std::string(32, c); }

// RFC 8032 §7.1, TEST 1: the seed, its public key, and its signature of the
// empty message. They pin our use of OpenSSL to the standard.
const std::string kSeed = Unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const std::string kRfcPublicKey =
    Unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
const std::string kRfcEmptySignature = Unhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
    "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");

std::string CollectionId() {
  std::string id;
  for (int i = 0; i < 16; ++i) id.push_back(static_cast<char>(i));
  return id;
}

v1::Value Integer(int64_t v) {
  v1::Value value;
  value.set_integer_value(v);
  return value;
}

// One op of every kind. (CreateCollection is only valid as a genesis; the
// wire does not care.)
v1::Commit GoldenCommit() {
  v1::Commit c;
  c.set_collection(CollectionId());
  c.set_author(kRfcPublicKey);
  c.set_seq(7);
  c.set_hlc(HlcFromMs(1'700'000'000'000) | 3);
  auto* dep = c.add_deps();
  dep->set_author(Repeat('\x11'));
  dep->set_seq(3);
  dep = c.add_deps();
  dep->set_author(Repeat('\x22'));
  dep->set_seq(9);

  auto* create_collection = c.add_ops()->mutable_create_collection();
  create_collection->set_name("APBDes 2024");
  create_collection->set_description("village budgets");

  auto* create_dataset = c.add_ops()->mutable_create_dataset();
  create_dataset->set_name("budget");
  auto* field = create_dataset->mutable_schema()->add_fields();
  field->set_name("line");
  field->set_type("integer");
  field = create_dataset->mutable_schema()->add_fields();
  field->set_name("amount");
  field->set_type("number");
  create_dataset->mutable_schema()->add_primary_key("line");

  auto* upsert = c.add_ops()->mutable_upsert();
  upsert->set_dataset("budget");
  *upsert->add_key() = Integer(17);
  auto* cell = upsert->add_cells();
  cell->set_field("amount");
  cell->mutable_value()->set_number_value(1.5);
  cell->mutable_value()->set_lexical("1.50");
  cell = upsert->add_cells();
  cell->set_field("note");
  cell->mutable_value()->set_string_value("dana desa");

  auto* del = c.add_ops()->mutable_delete_();
  del->set_dataset("budget");
  *del->add_key() = Integer(-18);

  auto* grant = c.add_ops()->mutable_grant();
  grant->set_org(Repeat('\x33'));
  grant->set_role(v1::ROLE_WRITER);

  c.add_ops()->mutable_revoke()->set_org(Repeat('\x44'));

  auto* tag = c.add_ops()->mutable_tag();
  tag->set_name("v1");
  auto* entry = tag->mutable_vv()->add_entries();
  entry->set_author(Repeat('\x11'));
  entry->set_seq(3);

  auto* add_field = c.add_ops()->mutable_add_field();
  add_field->set_dataset("budget");
  add_field->mutable_field()->set_name("approved");
  add_field->mutable_field()->set_type("date");
  add_field->mutable_field()->set_required(true);

  c.set_note("golden");
  return c;
}

Identity SeedIdentity() {
  Result<Identity> id = Identity::FromSeed(kSeed, "golden");
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return std::move(id).value();
}

// Generated once from GoldenCommit() and pasted; decoded independently with
// `protoc --decode=kongsi.v1.Commit` and the signature re-made with
// `openssl pkeyutl -sign -rawin`. See the warning at the top of this file.
constexpr char kGoldenCommitHex[] =
    "0a10000102030405060708090a0b0c0d0e0f1220d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325"
    "af021a68f707511a180720838080c0d6fcf3c5012a240a201111111111111111111111111111111111111111"
    "11111111111111111111111110032a240a202222222222222222222222222222222222222222222222222222"
    "222222222222100932200a1e0a0b4150424465732032303234120f76696c6c61676520627564676574733235"
    "12330a0662756467657412290a0f0a046c696e651207696e74656765720a100a06616d6f756e7412066e756d"
    "62657212046c696e65323e223c0a06627564676574120210221a190a06616d6f756e74120f19000000000000"
    "f83f3a04312e35301a130a046e6f7465120b0a0964616e612064657361320e2a0c0a06627564676574120210"
    "23322632240a203333333333333333333333333333333333333333333333333333333333333333100232243a"
    "220a204444444444444444444444444444444444444444444444444444444444444444322e422c0a02763112"
    "260a240a2011111111111111111111111111111111111111111111111111111111111111111003321e1a1c0a"
    "0662756467657412120a08617070726f76656412046461746530013a06676f6c64656e";

constexpr char kGoldenSignatureHex[] =
    "7a14c6fae4803f128459e5b9d90aeeee98688525f1922ccafa921a90ebd60e52"
    "6c99bd516727e4ff2b194de73afc029f4b196397b7b83d29dd0d7a60361ca601";

constexpr char kGoldenHaveHex[] =
    "12610a10000102030405060708090a0b0c0d0e0f124d0a240a20111111111111111111111111111111111111"
    "111111111111111111111111111110030a250a20222222222222222222222222222222222222222222222222"
    "222222222222222210ac02";

TEST(CommitWireTest, SeedKeyMatchesRfc8032) {
  Identity id = SeedIdentity();
  EXPECT_EQ(Hex(id.public_key()), Hex(kRfcPublicKey));
  EXPECT_EQ(Hex(id.Sign("")), Hex(kRfcEmptySignature));
  EXPECT_TRUE(VerifySignature(kRfcPublicKey, "", kRfcEmptySignature));
}

TEST(CommitWireTest, GoldenCommitBytes) {
  v1::SignedCommit signed_commit = SignCommit(GoldenCommit(), SeedIdentity());
  EXPECT_EQ(Hex(signed_commit.commit()), kGoldenCommitHex);
}

TEST(CommitWireTest, GoldenSignature) {
  v1::SignedCommit signed_commit = SignCommit(GoldenCommit(), SeedIdentity());
  EXPECT_EQ(Hex(signed_commit.signature()), kGoldenSignatureHex);
  // The golden bytes and signature, as a peer would send them, open.
  v1::SignedCommit from_wire;
  from_wire.set_commit(Unhex(kGoldenCommitHex));
  from_wire.set_signature(Unhex(kGoldenSignatureHex));
  Result<v1::Commit> opened = OpenSignedCommit(from_wire);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->seq(), 7u);
  EXPECT_EQ(opened->ops_size(), 8);
}

TEST(CommitWireTest, GoldenHaveEnvelope) {
  v1::Envelope envelope;
  auto* have = envelope.mutable_have();
  have->set_collection(CollectionId());
  auto* entry = have->mutable_vv()->add_entries();
  entry->set_author(Repeat('\x11'));
  entry->set_seq(3);
  entry = have->mutable_vv()->add_entries();
  entry->set_author(Repeat('\x22'));
  entry->set_seq(300);
  EXPECT_EQ(Hex(envelope.SerializeAsString()), kGoldenHaveHex);
}

TEST(CommitWireTest, SignedCommitOpensToTheSameCommit) {
  Identity id = SeedIdentity();
  v1::Commit commit = GoldenCommit();
  Result<v1::Commit> opened = OpenSignedCommit(SignCommit(commit, id));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->SerializeAsString(), commit.SerializeAsString());
}

TEST(CommitWireTest, FlippedBitsDoNotOpen) {
  v1::SignedCommit good = SignCommit(GoldenCommit(), SeedIdentity());
  google::protobuf::LogSilencer quiet;  // broken UTF-8 in strings logs an error per parse
  // Flip one bit at a time through the commit bytes: each either stops
  // decoding or breaks the signature; none opens.
  for (size_t i = 0; i < good.commit().size(); ++i) {
    v1::SignedCommit bad = good;
    (*bad.mutable_commit())[i] ^= static_cast<char>(1 << (i % 8));
    EXPECT_FALSE(OpenSignedCommit(bad).ok()) << "byte " << i;
  }
  v1::SignedCommit bad_signature = good;
  (*bad_signature.mutable_signature())[10] ^= 0x04;
  Result<v1::Commit> r = OpenSignedCommit(bad_signature);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("signature does not verify"));
}

TEST(CommitWireTest, OpenNamesWhatIsWrong) {
  v1::SignedCommit garbage;
  garbage.set_commit("\xff\xff\xff");
  EXPECT_THAT(OpenSignedCommit(garbage).status().message(),
              HasSubstr("commit bytes do not decode"));

  v1::Commit short_author = GoldenCommit();
  short_author.set_author(std::string(31, 'a'));
  v1::SignedCommit s = SignCommit(short_author, SeedIdentity());
  EXPECT_THAT(OpenSignedCommit(s).status().message(), HasSubstr("author is not a 32-byte key"));

  v1::Commit other_author = GoldenCommit();
  other_author.set_author(Repeat('\x55'));
  s = SignCommit(other_author, SeedIdentity());
  EXPECT_THAT(OpenSignedCommit(s).status().message(), HasSubstr("signature does not verify"));
}

// DESIGN §3: the signature covers the bytes as sent, not a re-encoding. A
// commit from a peer may encode fields in another order (or carry fields a
// newer version added); it must still open.
TEST(CommitWireTest, VerifiesTheExactBytesNotAReserialization) {
  Identity id = SeedIdentity();
  v1::Commit tail;
  tail.set_seq(7);
  v1::Commit head;
  head.set_author(id.public_key());
  head.set_note("out of order");
  // seq (field 3) after note (field 7), then an unknown field 99 (varint 1).
  std::string bytes = head.SerializeAsString() + tail.SerializeAsString() + "\x98\x06\x01";
  v1::SignedCommit signed_commit;
  signed_commit.set_commit(bytes);
  signed_commit.set_signature(id.Sign(bytes));

  Result<v1::Commit> opened = OpenSignedCommit(signed_commit);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->seq(), 7u);
  EXPECT_NE(opened->SerializeAsString(), bytes);  // a re-encoding would not verify
}

}  // namespace
}  // namespace kongsi::node
