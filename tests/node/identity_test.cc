#include "node/identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "node/base32.h"

namespace kongsi::node {
namespace {

using ::testing::HasSubstr;

// A fresh directory under the test temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "kongsi_identity_XXXXXX";
    path_ = ::mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

mode_t FileMode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// RFC 4648 §10 test vectors, unpadded.
TEST(Base32Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base32Encode(""), "");
  EXPECT_EQ(Base32Encode("f"), "MY");
  EXPECT_EQ(Base32Encode("fo"), "MZXQ");
  EXPECT_EQ(Base32Encode("foo"), "MZXW6");
  EXPECT_EQ(Base32Encode("foob"), "MZXW6YQ");
  EXPECT_EQ(Base32Encode("fooba"), "MZXW6YTB");
  EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");
}

TEST(Base32Test, DecodesVectorsInEitherCase) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    Result<std::string> upper = Base32Decode(Base32Encode(s));
    ASSERT_TRUE(upper.ok()) << upper.status().ToString();
    EXPECT_EQ(*upper, s);
  }
  Result<std::string> lower = Base32Decode("mzxw6ytboi");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(*lower, "foobar");
}

TEST(Base32Test, RoundTripsAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= bytes.size(); n += 7) {
    Result<std::string> back = Base32Decode(Base32Encode(bytes.substr(0, n)));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, bytes.substr(0, n));
  }
}

TEST(Base32Test, RejectsBadInput) {
  Result<std::string> bad_char = Base32Decode("MZ1Q");
  ASSERT_FALSE(bad_char.ok());
  EXPECT_EQ(bad_char.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(bad_char.status().message(), HasSubstr("'1' at position 2"));

  Result<std::string> padded = Base32Decode("MY======");
  ASSERT_FALSE(padded.ok());
  EXPECT_THAT(padded.status().message(), HasSubstr("padding"));

  for (std::string_view len : {"M", "MZX", "MZXW6Y"}) {
    Result<std::string> r = Base32Decode(len);
    ASSERT_FALSE(r.ok()) << len;
    EXPECT_THAT(r.status().message(), HasSubstr("characters")) << len;
  }
  // "MZ" would also decode to "f"; only "MY" is canonical.
  EXPECT_FALSE(Base32Decode("MZ").ok());
  EXPECT_THAT(Base32Decode(std::string("MY\n", 3) + "A").status().message(),
              HasSubstr("byte 0x0a"));
}

TEST(IdentityTest, NodeIdIs52CharsAndParsesBack) {
  Result<Identity> id = Identity::Generate("Org A");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->public_key().size(), kPublicKeyBytes);
  EXPECT_EQ(id->node_id().size(), kNodeIdBytes);
  EXPECT_EQ(id->node_id(), NodeIdFromPublicKey(id->public_key()));
  EXPECT_EQ(id->node_id_text().size(), 52u);
  EXPECT_EQ(id->node_id_text(), NodeIdText(id->node_id()));

  Result<std::string> parsed = ParseNodeId(id->node_id_text());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, id->node_id());
  std::string lower = id->node_id_text();
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Result<std::string> parsed_lower = ParseNodeId(lower);
  ASSERT_TRUE(parsed_lower.ok());
  EXPECT_EQ(*parsed_lower, id->node_id());
}

TEST(IdentityTest, ParseNodeIdNamesMalformedInput) {
  Result<std::string> short_id = ParseNodeId("ABC");
  ASSERT_FALSE(short_id.ok());
  EXPECT_THAT(short_id.status().message(), HasSubstr("\"ABC\""));
  EXPECT_THAT(short_id.status().message(), HasSubstr("expected 52"));

  std::string bad(52, 'A');
  bad[10] = '8';
  Result<std::string> bad_char = ParseNodeId(bad);
  ASSERT_FALSE(bad_char.ok());
  EXPECT_THAT(bad_char.status().message(), HasSubstr(bad));
  EXPECT_THAT(bad_char.status().message(), HasSubstr("'8' at position 10"));

  std::string non_canonical(52, 'A');
  non_canonical[51] = 'B';  // sets one of the 4 unused trailing bits
  EXPECT_FALSE(ParseNodeId(non_canonical).ok());
}

TEST(IdentityTest, SignaturesVerifyAndFlippedBitsFail) {
  Result<Identity> id = Identity::Generate("Org A");
  ASSERT_TRUE(id.ok());
  std::string message = "budget 2024, line 17";
  std::string sig = id->Sign(message);
  ASSERT_EQ(sig.size(), kSignatureBytes);
  EXPECT_EQ(id->Sign(message), sig);  // Ed25519 is deterministic
  EXPECT_TRUE(VerifySignature(id->public_key(), message, sig));

  std::string flipped_message = message;
  flipped_message[3] ^= 0x01;
  EXPECT_FALSE(VerifySignature(id->public_key(), flipped_message, sig));
  std::string flipped_sig = sig;
  flipped_sig[40] ^= 0x80;
  EXPECT_FALSE(VerifySignature(id->public_key(), message, flipped_sig));

  Result<Identity> other = Identity::Generate("Org B");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(VerifySignature(other->public_key(), message, sig));
  EXPECT_FALSE(VerifySignature(id->public_key().substr(1), message, sig));
  EXPECT_FALSE(VerifySignature(id->public_key(), message, sig.substr(1)));
  EXPECT_TRUE(VerifySignature(id->public_key(), "", id->Sign("")));
}

TEST(IdentityTest, ConcurrentSignsFromCopies) {
  Result<Identity> id = Identity::Generate("Org A");
  ASSERT_TRUE(id.ok());
  const std::string expected = id->Sign("same message");
  std::vector<std::thread> threads;
  std::vector<int> good(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t, copy = *id] {
      for (int i = 0; i < 200; ++i) good[t] += copy.Sign("same message") == expected;
    });
  }
  for (auto& thread : threads) thread.join();
  for (int n : good) EXPECT_EQ(n, 200);
}

TEST(IdentityTest, CreateWritesKeyWith0600AndLoadRoundTrips) {
  TempDir tmp;
  std::string dir = tmp.path() + "/node";
  Result<Identity> created = Identity::Create(dir, "Org A");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(FileMode(dir + "/node.key"), 0600u);
  EXPECT_EQ(FileMode(dir), 0700u);

  std::ifstream key_file(dir + "/node.key");
  std::string first_line;
  std::getline(key_file, first_line);
  EXPECT_EQ(first_line, "-----BEGIN PRIVATE KEY-----");  // PKCS#8

  Result<Identity> loaded = Identity::Load(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->node_id(), created->node_id());
  EXPECT_EQ(loaded->node_id_text(), created->node_id_text());
  EXPECT_EQ(loaded->public_key(), created->public_key());
  EXPECT_EQ(loaded->name(), "Org A");
  EXPECT_EQ(loaded->Sign("x"), created->Sign("x"));
}

TEST(IdentityTest, CreateRefusesToOverwrite) {
  TempDir tmp;
  ASSERT_TRUE(Identity::Create(tmp.path(), "Org A").ok());
  Result<Identity> again = Identity::Create(tmp.path(), "Org B");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Status::Code::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("node.key"));
  Result<Identity> loaded = Identity::Load(tmp.path());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->name(), "Org A");
}

TEST(IdentityTest, CreateRejectsBadNames) {
  EXPECT_FALSE(Identity::Generate("").ok());
  EXPECT_FALSE(Identity::Generate("a\nb").ok());
  EXPECT_FALSE(Identity::Generate("bad \xff utf8").ok());
  EXPECT_FALSE(Identity::Generate(std::string(kMaxNameBytes + 1, 'a')).ok());
  EXPECT_TRUE(Identity::Generate(std::string(kMaxNameBytes, 'a')).ok());
  EXPECT_TRUE(Identity::Generate("Perkumpulan Kawal Anggaran — Jakarta").ok());
}

TEST(IdentityTest, LoadRefusesGroupOrWorldReadableKey) {
  TempDir tmp;
  ASSERT_TRUE(Identity::Create(tmp.path(), "Org A").ok());
  std::string key_path = tmp.path() + "/node.key";
  ASSERT_EQ(::chmod(key_path.c_str(), 0644), 0);
  Result<Identity> loaded = Identity::Load(tmp.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Status::Code::kPermissionDenied);
  EXPECT_THAT(loaded.status().message(), HasSubstr(key_path));
  EXPECT_THAT(loaded.status().message(), HasSubstr("0644"));
  EXPECT_THAT(loaded.status().message(), HasSubstr("chmod 600 " + key_path));

  ASSERT_EQ(::chmod(key_path.c_str(), 0400), 0);  // narrower is fine
  EXPECT_TRUE(Identity::Load(tmp.path()).ok());
}

TEST(IdentityTest, LoadNamesMissingFiles) {
  TempDir tmp;
  Result<Identity> missing = Identity::Load(tmp.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_THAT(missing.status().message(), HasSubstr(tmp.path() + "/node.key: missing"));

  ASSERT_TRUE(Identity::Create(tmp.path(), "Org A").ok());
  std::filesystem::remove(tmp.path() + "/node.json");
  Result<Identity> no_info = Identity::Load(tmp.path());
  ASSERT_FALSE(no_info.ok());
  EXPECT_THAT(no_info.status().message(), HasSubstr("node.json: missing"));
}

TEST(IdentityTest, LoadRejectsNonEd25519AndGarbageKeys) {
  TempDir tmp;
  std::string key_path = tmp.path() + "/node.key";
  auto write_key = [&](const std::string& text) {
    std::filesystem::remove(key_path);
    std::ofstream(key_path) << text;
    ASSERT_EQ(::chmod(key_path.c_str(), 0600), 0);
  };

  write_key("not a key at all\n");
  Result<Identity> garbage = Identity::Load(tmp.path());
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.status().message(), HasSubstr(key_path + ": not a PEM private key"));

  // A P-256 key (PKCS#8), from `openssl genpkey -algorithm EC -pkeyopt
  // ec_paramgen_curve:P-256`.
  write_key(
      "-----BEGIN PRIVATE KEY-----\n"
      "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgK9De7ueOU9K2qkLF\n"
      "Ua4DftJoxf4atkR/WKmuVYXVmtShRANCAAR859UuDHGlL8xVVNhyJkWU7FSgnW4z\n"
      "NMZ3eDDF+nRxspdb+ibKj9xXqR9KkWr66AEFkrPy2agWYTdqdQ/zYLsw\n"
      "-----END PRIVATE KEY-----\n");
  Result<Identity> ec = Identity::Load(tmp.path());
  ASSERT_FALSE(ec.ok());
  EXPECT_THAT(ec.status().message(), HasSubstr(key_path));
  EXPECT_THAT(ec.status().message(), HasSubstr("EC key; a node key must be Ed25519"));
}

TEST(IdentityTest, LoadRejectsNodeJsonForAnotherKey) {
  TempDir a, b;
  ASSERT_TRUE(Identity::Create(a.path(), "Org A").ok());
  ASSERT_TRUE(Identity::Create(b.path(), "Org B").ok());
  std::filesystem::copy_file(b.path() + "/node.json", a.path() + "/node.json",
                             std::filesystem::copy_options::overwrite_existing);
  Result<Identity> loaded = Identity::Load(a.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Status::Code::kCorruption);
  EXPECT_THAT(loaded.status().message(), HasSubstr("not the ID of the key"));
}

}  // namespace
}  // namespace kongsi::node
