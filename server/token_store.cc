#include "server/token_store.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <boost/json.hpp>
#include <chrono>
#include <mutex>

#include "node/node.h"

namespace kongsi::server {
namespace {

namespace json = boost::json;

constexpr std::string_view kKeyPrefix = "api_token/";
constexpr std::string_view kTokenPrefix = "kongsi_";
constexpr size_t kIdBytes = 8;
constexpr size_t kSecretBytes = 32;

std::mutex& WriteMutex() {
  static std::mutex mu;
  return mu;
}

std::string Key(std::string_view id) { return std::string(kKeyPrefix) + std::string(id); }

std::string Sha256(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<const char*>(md), sizeof md);
}

Result<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return Status::Internal("no random bytes from OpenSSL");
  }
  return node::HexId(raw);
}

struct Stored {
  TokenInfo info;
  std::string secret_hash;  // raw 32 bytes
};

Result<Stored> Decode(std::string_view id, std::string_view bytes) {
  json::error_code ec;
  json::value v = json::parse(bytes, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  Stored s;
  s.info.id = std::string(id);
  const json::value* name = o ? o->if_contains("name") : nullptr;
  const json::value* role = o ? o->if_contains("role") : nullptr;
  const json::value* hash = o ? o->if_contains("sha256") : nullptr;
  const json::value* created = o ? o->if_contains("created_ms") : nullptr;
  if (!name || !name->is_string() || !role || !role->is_string() || !hash || !hash->is_string() ||
      !created || !created->is_int64() || !ParseApiRole(role->get_string(), &s.info.role)) {
    return Status::Corruption("token " + std::string(id) + ": unreadable entry");
  }
  auto raw = node::ParseHexId(std::string(hash->get_string()), SHA256_DIGEST_LENGTH);
  if (!raw.ok()) return Status::Corruption("token " + std::string(id) + ": unreadable hash");
  s.info.name = std::string(name->get_string());
  s.info.created_ms = created->get_int64();
  s.secret_hash = std::move(raw).value();
  return s;
}

std::vector<TokenInfo> ListFrom(const storage::Db& db) {
  std::vector<TokenInfo> out;
  for (auto it = db.NewPrefixIterator(storage::Family::kMeta, kKeyPrefix); it->Valid();
       it->Next()) {
    std::string_view id = it->key().substr(kKeyPrefix.size());
    auto s = Decode(id, it->value());
    if (s.ok()) out.push_back(s->info);
  }
  return out;
}

Status Delete(storage::Db& db, const std::string& id) {
  storage::WriteBatch b(db);
  b.Delete(storage::Family::kMeta, Key(id));
  return db.Write(b);
}

}  // namespace

Result<NewToken> TokenStore::CreateLocked(ApiRole role, const std::string& name, bool capped) {
  if (role == ApiRole::kNone) return Status::InvalidArgument("role: viewer, publisher or admin");
  if (name.size() > kMaxTokenNameBytes) {
    return Status::InvalidArgument("token name: longer than " + std::to_string(kMaxTokenNameBytes) +
                                   " bytes, the limit (kMaxTokenNameBytes)");
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("token name: contains a control character");
    }
  }
  const std::vector<TokenInfo> live = ListFrom(db_);
  if (!name.empty()) {
    for (const auto& t : live) {
      if (t.name == name)
        return Status::AlreadyExists("a token is already named \"" + name + "\" (id " + t.id + ")");
    }
  }
  if (capped && live.size() >= max_tokens_) {
    return Status::FailedPrecondition(std::to_string(live.size()) + " tokens already, the limit (" +
                                      std::to_string(max_tokens_) + ", kMaxApiTokens): revoke one first");
  }
  auto id = RandomHex(kIdBytes);
  if (!id.ok()) return id.status();
  auto secret = RandomHex(kSecretBytes);
  if (!secret.ok()) return secret.status();
  NewToken out;
  out.info.id = *id;
  out.info.name = name;
  out.info.role = role;
  out.info.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  out.token = std::string(kTokenPrefix) + *id + "_" + *secret;
  json::object entry{{"name", name},
                     {"role", ApiRoleName(role)},
                     {"sha256", node::HexId(Sha256(*secret))},
                     {"created_ms", out.info.created_ms}};
  storage::WriteBatch b(db_);
  b.Put(storage::Family::kMeta, Key(*id), json::serialize(entry));
  KONGSI_RETURN_IF_ERROR(db_.Write(b));
  return out;
}

Result<NewToken> TokenStore::Create(ApiRole role, const std::string& name) {
  std::lock_guard lock(WriteMutex());
  return CreateLocked(role, name, /*capped=*/true);
}

Result<NewToken> TokenStore::Replace(ApiRole role, const std::string& name) {
  std::lock_guard lock(WriteMutex());
  for (const auto& t : ListFrom(db_)) {
    if (t.name == name) KONGSI_RETURN_IF_ERROR(Delete(db_, t.id));
  }
  return CreateLocked(role, name, /*capped=*/false);
}

Result<TokenInfo> TokenStore::Authenticate(std::string_view bearer) const {
  const Status unknown = Status::NotFound("unknown or revoked token");
  const size_t id_chars = kIdBytes * 2;  // hex; the secret's hex fills the rest
  static_assert(kApiTokenChars == kTokenPrefix.size() + kIdBytes * 2 + 1 + kSecretBytes * 2);
  if (bearer.size() != kApiTokenChars ||
      bearer.substr(0, kTokenPrefix.size()) != kTokenPrefix ||
      bearer[kTokenPrefix.size() + id_chars] != '_') {
    return unknown;
  }
  std::string_view id = bearer.substr(kTokenPrefix.size(), id_chars);
  std::string_view secret = bearer.substr(kTokenPrefix.size() + id_chars + 1);
  std::string bytes;
  if (!db_.Get(storage::Family::kMeta, Key(id), &bytes).ok()) return unknown;
  auto stored = Decode(id, bytes);
  if (!stored.ok()) return unknown;
  // Constant time: how long the comparison takes says nothing about how
  // much of the secret was right.
  std::string presented = Sha256(secret);
  if (CRYPTO_memcmp(presented.data(), stored->secret_hash.data(), presented.size()) != 0)
    return unknown;
  return stored->info;
}

std::vector<TokenInfo> TokenStore::List() const { return ListFrom(db_); }

Result<TokenInfo> TokenStore::Revoke(const std::string& id_or_name) {
  std::lock_guard lock(WriteMutex());
  std::vector<TokenInfo> matches;
  for (const auto& t : ListFrom(db_)) {
    if (t.id == id_or_name) {
      matches = {t};
      break;
    }
    if (!t.name.empty() && t.name == id_or_name) matches.push_back(t);
  }
  if (matches.empty()) return Status::NotFound("no token with ID or name \"" + id_or_name + "\"");
  if (matches.size() > 1) {
    return Status::InvalidArgument("more than one token is named \"" + id_or_name +
                                   "\"; revoke by ID");
  }
  KONGSI_RETURN_IF_ERROR(Delete(db_, matches[0].id));
  return matches[0];
}

}  // namespace kongsi::server
