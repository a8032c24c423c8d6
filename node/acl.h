// The access-control list of one collection (DESIGN §6): roles derived from
// the Grant/Revoke ops in a commit's causal past.
//
// Within one causal past, the ops about an org that no other op about it
// follows are its "maximal" ops. A maximal Revoke wins over a concurrent Grant
// (strong removal); otherwise the org has the highest role among its maximal
// Grants. Never a timestamp tie-break: a revoked member can backdate its clock.
//
// Not thread-safe; the owner (Node) serialises access.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kongsi/v1/commit.pb.h"
#include "node/version_vector.h"

namespace kongsi::node {

// An op in the log: commit (author, seq) and its position in the commit.
struct OpPoint {
  std::string author;  // 32-byte public key
  uint64_t seq = 0;
  uint32_t index = 0;
  VersionVector deps;
  uint64_t hlc = 0;

  // True when `this` op is in the causal past of `later` (ops earlier in the
  // same commit count as its past).
  bool Precedes(const OpPoint& later) const;
};

struct AclOp {
  OpPoint at;
  std::string org;  // raw 32-byte node ID the op is about
  bool revoke = false;
  v1::Role role = v1::ROLE_NONE;  // for grants (genesis: admin)
  bool genesis = false;
};

struct Member {
  std::string org;        // raw node ID
  v1::Role role = v1::ROLE_NONE;
  std::string granted_by;  // author public key of the deciding op
  uint64_t granted_hlc = 0;
  uint64_t granted_seq = 0;
};

const char* RoleName(v1::Role role);
// "reader" / "writer" / "admin"; anything else is an error naming the input.
bool ParseRole(const std::string& text, v1::Role* role);

class Acl {
 public:
  using Filter = std::function<bool(const AclOp&)>;

  void Add(AclOp op) { ops_.push_back(std::move(op)); }
  const std::vector<AclOp>& ops() const { return ops_; }

  // Role of `org` seen from op point `at`: only ops in its causal past count.
  v1::Role RoleAt(const std::string& org, const OpPoint& at) const;
  // Role of `org` counting every op (the node's current view).
  v1::Role CurrentRole(const std::string& org) const;
  // Every org any op names, with its effective role under `filter` (all ops
  // when empty), sorted by org. Members with ROLE_NONE are included.
  std::vector<Member> Members(const Filter& filter = {}) const;
  // Number of admins at `at` if `extra` were applied there too.
  int AdminsAfter(const OpPoint& at, const AclOp& extra) const;

 private:
  Member Evaluate(const std::string& org, const Filter& filter, const AclOp* extra) const;
  std::vector<AclOp> ops_;
};

}  // namespace kongsi::node
