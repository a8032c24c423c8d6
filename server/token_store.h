// Bearer tokens of the local API, kept in the node's meta column family
// under "api_token/<id>". Node-local: never replicated and outside the
// state digest. A token is "kongsi_<id>_<secret>": <id> (16 hex) finds the
// entry, and only SHA-256(<secret>) is stored, compared in constant time,
// so the database never holds a usable token.
//
// Thread-safety: all methods may be called from any thread; creating and
// revoking are serialised process-wide so names stay unique.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_types.h"
#include "storage/db.h"

namespace kongsi::server {

inline constexpr char kLocalCliTokenName[] = "local-cli";
inline constexpr size_t kMaxTokenNameBytes = 128;
// Live tokens a node keeps: each Create lists them all (names are unique),
// so a runaway script must not grow the list without bound. The daemon's
// own kLocalCliTokenName token (Replace) is not held to it.
inline constexpr size_t kMaxApiTokens = 1024;
// A presented token is exactly this long ("kongsi_" + 16 hex + "_" + 64
// hex); anything else is refused before any lookup.
inline constexpr size_t kApiTokenChars = 7 + 16 + 1 + 64;

struct TokenInfo {
  std::string id;  // 16 hex characters
  std::string name;
  ApiRole role = ApiRole::kViewer;
  int64_t created_ms = 0;
};

struct NewToken {
  TokenInfo info;
  std::string token;  // the bearer token: shown once, never stored
};

class TokenStore {
 public:
  // `max_tokens`: tests lower kMaxApiTokens.
  explicit TokenStore(storage::Db& db, size_t max_tokens = kMaxApiTokens)
      : db_(db), max_tokens_(max_tokens) {}

  // AlreadyExists when a token is named `name` (names are optional);
  // FailedPrecondition when `max_tokens` are live.
  Result<NewToken> Create(ApiRole role, const std::string& name);
  // Revokes every token named `name`, then creates one: the daemon's token
  // for local tools, fresh on each start.
  Result<NewToken> Replace(ApiRole role, const std::string& name);
  // The token's entry; NotFound for anything that is not a live token
  // (malformed, unknown ID, wrong secret, revoked).
  Result<TokenInfo> Authenticate(std::string_view bearer) const;
  std::vector<TokenInfo> List() const;
  // By ID or name. NotFound when none matches; InvalidArgument when a name
  // matches more than one (use the ID).
  Result<TokenInfo> Revoke(const std::string& id_or_name);

 private:
  Result<NewToken> CreateLocked(ApiRole role, const std::string& name, bool capped);
  storage::Db& db_;
  size_t max_tokens_;
};

}  // namespace kongsi::server
