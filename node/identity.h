// A node's identity: one Ed25519 key pair per organisation (DESIGN §1).
// Node ID = SHA-256 of the raw 32-byte public key; shown as 52 base32
// characters. Also the signing and opening of commits (DESIGN §3).
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "kongsi/v1/commit.pb.h"
#include "storage/status.h"

namespace kongsi::node {

inline constexpr size_t kPublicKeyBytes = 32;
inline constexpr size_t kSignatureBytes = 64;
inline constexpr size_t kNodeIdBytes = 32;
inline constexpr size_t kNodeIdTextChars = 52;  // ceil(256 / 5)
inline constexpr size_t kPrivateKeySeedBytes = 32;

// Files of an identity directory. node.key is a PKCS#8 PEM Ed25519 private
// key, mode 0600; node.json is {"name": ..., "node_id": ...}.
inline constexpr char kKeyFileName[] = "node.key";
inline constexpr char kInfoFileName[] = "node.json";
// Both files are a few hundred bytes; a larger file is not one of ours, and
// the limit keeps a wrong path from reading gigabytes into memory.
inline constexpr size_t kMaxIdentityFileBytes = 64 * 1024;
// An organisation's display name: 1..kMaxNameBytes bytes of UTF-8, no
// control characters (it travels in Hello.name, a proto3 string).
inline constexpr size_t kMaxNameBytes = 256;

// Raw 32-byte SHA-256 of `pubkey32` (the caller passes a 32-byte key).
std::string NodeIdFromPublicKey(std::string_view pubkey32);

// The 52-character base32 (RFC 4648, upper case, no padding) form of a raw
// node ID.
std::string NodeIdText(std::string_view node_id_raw);

// Inverse of NodeIdText; accepts lower case. Errors (InvalidArgument) quote
// the input and say what is wrong: length, or which character at which
// position.
Result<std::string> ParseNodeId(std::string_view text);

// True iff `signature64` is a valid Ed25519 signature of `message` by
// `pubkey32`. Wrong-length keys or signatures are simply false.
bool VerifySignature(std::string_view pubkey32, std::string_view message,
                     std::string_view signature64);

// Holds the private key in memory. Copies share one immutable key.
// Thread-safe: all const members, Sign included, may run concurrently.
class Identity {
 public:
  // Generates a key pair and writes dir/node.key (created with O_EXCL and
  // mode 0600, so it is never readable by others, not even briefly) and
  // dir/node.json. Creates `dir` (mode 0700) if it is missing. AlreadyExists
  // if dir/node.key exists: a key is never overwritten.
  static Result<Identity> Create(const std::string& dir, const std::string& name);

  // Reads dir/node.key and dir/node.json. Errors name the file and the
  // reason: missing, unreadable, not an Ed25519 private key, permissions
  // wider than 0600 (PermissionDenied, with the chmod that fixes it), or a
  // node.json that disagrees with the key.
  static Result<Identity> Load(const std::string& dir);

  // In-memory identities, never written anywhere: for tests and tools.
  static Result<Identity> Generate(const std::string& name);
  // From a 32-byte Ed25519 private key seed (RFC 8032); deterministic.
  static Result<Identity> FromSeed(std::string_view seed32, const std::string& name);

  const std::string& public_key() const { return public_key_; }  // raw 32 bytes
  const std::string& node_id() const { return node_id_; }        // raw 32 bytes
  const std::string& node_id_text() const { return node_id_text_; }
  const std::string& name() const { return name_; }

  // 64-byte Ed25519 signature of `message`. Ed25519 is deterministic, so the
  // same message always gives the same signature. Empty only if OpenSSL fails
  // internally (allocation); an empty signature never verifies.
  std::string Sign(std::string_view message) const;

  // The private key as PKCS#8 PEM, for the TLS layer
  // (ssl::context::use_private_key). Handle it like node.key.
  Result<std::string> PrivateKeyPem() const;

  // The key itself, borrowed: valid while this Identity or a copy lives.
  // For OpenSSL calls (certificates, SSL_CTX_use_PrivateKey); do not modify.
  EVP_PKEY* evp_pkey() const { return key_.get(); }

 private:
  Identity(std::shared_ptr<EVP_PKEY> key, std::string public_key, std::string name);

  std::shared_ptr<EVP_PKEY> key_;
  std::string public_key_;
  std::string node_id_;
  std::string node_id_text_;
  std::string name_;
};

// Serializes `commit` once (deterministically) and signs exactly those bytes.
// commit.author() must be identity.public_key(), or the result will not open.
v1::SignedCommit SignCommit(const v1::Commit& commit, const Identity& identity);

// Verifies `signed_commit.signature` over the exact `commit` bytes with the
// author key inside them — never a re-serialization (DESIGN §3) — and returns
// the parsed Commit. InvalidArgument: "commit bytes do not decode", "author
// is not a 32-byte key", "signature does not verify".
Result<v1::Commit> OpenSignedCommit(const v1::SignedCommit& signed_commit);

}  // namespace kongsi::node
