// The access-control list of one collection (DESIGN §6): roles derived from
// the Grant/Revoke ops in a commit's causal past.
//
// Within one causal past, the ops about an org that no other op about it
// follows are its "maximal" ops. A maximal Revoke wins over a concurrent Grant
// (strong removal); otherwise the org has the highest role among its maximal
// Grants. Never a timestamp tie-break: a revoked member can backdate its clock.
//
// Every op carries a validity (see node/validity.h, which judges them): roles
// for admission (RoleAt, AdminsAfter) count every op held, so that refusing a
// commit depends only on its causal past; everything else counts valid ops.
//
// Not thread-safe; the owner (Node) serialises access.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kongsi/v1/commit.pb.h"
#include "node/version_vector.h"
#include "storage/status.h"

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
  // True when commit (author, seq) is this op's commit or in its causal past.
  bool Sees(const std::string& commit_author, uint64_t commit_seq) const;
};

// The order of two ops of one author: by seq, then by index within a commit.
// OpPoint::Precedes and the record merge's frontier checks share it.
inline bool SameAuthorBefore(uint64_t seq, uint32_t index, uint64_t later_seq, uint32_t later_index) {
  return seq < later_seq || (seq == later_seq && index < later_index);
}

struct AclOp {
  OpPoint at;
  std::string org;  // raw 32-byte node ID the op is about
  bool revoke = false;
  v1::Role role = v1::ROLE_NONE;  // for grants (genesis: admin)
  bool genesis = false;
  // Judged by JudgeAcl (node/validity.h); every op of one commit shares it.
  bool valid = true;
  std::string invalid_reason;
};

struct Member {
  std::string org;        // raw node ID
  v1::Role role = v1::ROLE_NONE;
  std::string granted_by;  // author public key of the deciding Grant
  uint64_t granted_hlc = 0;
  uint64_t granted_seq = 0;
  // When role is ROLE_NONE because of a Revoke: the deciding Revoke (of
  // several concurrent ones, the least by author and seq, so every node
  // names the same one). Empty otherwise.
  std::string revoked_by;
  uint64_t revoked_hlc = 0;
  uint64_t revoked_seq = 0;
};

// One Grant/Revoke (or the genesis) as the ACL log lists it.
struct AclLogEntry {
  std::string author;  // public key of the op's commit
  uint64_t seq = 0;
  uint64_t hlc = 0;
  uint32_t op_index = 0;
  enum class Kind { kGenesis, kGrant, kRevoke } kind = Kind::kGrant;
  std::string org;  // raw node ID the op is about
  v1::Role role = v1::ROLE_NONE;
  bool valid = true;
  std::string invalid_reason;
};

const char* RoleName(v1::Role role);
// "reader" / "writer" / "admin"; anything else is an error naming the input.
bool ParseRole(const std::string& text, v1::Role* role);

class Acl;

// The checks a Grant or Revoke `op` by `author_org` (raw node ID) must pass
// at its point op.at, counting every op in its causal past as admission
// does: the author is an admin, a granted role is known, a Revoke names a
// member and leaves an admin. The codes tell people what is wrong:
// PermissionDenied, InvalidArgument, NotFound and FailedPrecondition.
Status CheckAclOp(const Acl& acl, const std::string& author_org, const AclOp& op);

class Acl {
 public:
  using Filter = std::function<bool(const AclOp&)>;

  void Add(AclOp op) { ops_.push_back(std::move(op)); }
  const std::vector<AclOp>& ops() const { return ops_; }
  std::vector<AclOp>& mutable_ops() { return ops_; }

  // Role of `org` seen from op point `at`, counting every op in its causal
  // past, valid or not (admission: a function of the causal past only).
  v1::Role RoleAt(const std::string& org, const OpPoint& at) const;
  // The same counting valid ops only.
  v1::Role ValidRoleAt(const std::string& org, const OpPoint& at) const;
  // Role of `org` counting every valid op (the node's current view).
  v1::Role CurrentRole(const std::string& org) const { return Current(org).role; }
  // The same with who decided it (see Member).
  Member Current(const std::string& org) const;
  // Every org a valid op names, with its effective role counting the valid
  // ops `filter` admits (all valid ops when empty), sorted by org. Members
  // with ROLE_NONE are included.
  std::vector<Member> Members(const Filter& filter = {}) const;
  // The membership of `org` counting only the ops `filter` admits (all when
  // empty), plus `extra` when not null.
  Member Evaluate(const std::string& org, const Filter& filter, const AclOp* extra = nullptr) const;
  // Number of admins at `at` if `extra` were applied there too, counting
  // every op in its past (admission).
  int AdminsAfter(const OpPoint& at, const AclOp& extra) const;
  // Number of admins among the orgs the ops `filter` admits name, counting
  // those ops and `extra`.
  int AdminsWith(const Filter& filter, const AclOp& extra) const;
  // Every op in a causal order (by the size of its causal past, then
  // author, seq, index), with its validity.
  std::vector<AclLogEntry> Log() const;

 private:
  std::vector<AclOp> ops_;
};

}  // namespace kongsi::node
