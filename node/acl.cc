#include "node/acl.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "node/identity.h"

namespace kongsi::node {

bool OpPoint::Precedes(const OpPoint& later) const {
  if (author == later.author) return SameAuthorBefore(seq, index, later.seq, later.index);
  return later.deps.Get(author) >= seq;
}

bool OpPoint::Sees(const std::string& commit_author, uint64_t commit_seq) const {
  if (commit_author == author) return commit_seq <= seq;
  return deps.Get(commit_author) >= commit_seq;
}

const char* RoleName(v1::Role role) {
  switch (role) {
    case v1::ROLE_READER: return "reader";
    case v1::ROLE_WRITER: return "writer";
    case v1::ROLE_ADMIN: return "admin";
    default: return "none";
  }
}

bool ParseRole(const std::string& text, v1::Role* role) {
  if (text == "reader") *role = v1::ROLE_READER;
  else if (text == "writer") *role = v1::ROLE_WRITER;
  else if (text == "admin") *role = v1::ROLE_ADMIN;
  else return false;
  return true;
}

Member Acl::Evaluate(const std::string& org, const Filter& filter, const AclOp* extra) const {
  std::vector<const AclOp*> about;
  for (const auto& op : ops_) {
    if (op.org == org && (!filter || filter(op))) about.push_back(&op);
  }
  if (extra && extra->org == org) about.push_back(extra);

  Member m;
  m.org = org;
  const AclOp* revoked = nullptr;
  for (const AclOp* op : about) {
    bool maximal = std::none_of(about.begin(), about.end(), [&](const AclOp* other) {
      return other != op && op->at.Precedes(other->at);
    });
    if (!maximal) continue;
    if (op->revoke) {
      if (!revoked || std::tie(op->at.author, op->at.seq) < std::tie(revoked->at.author, revoked->at.seq)) {
        revoked = op;
      }
      continue;
    }
    // Equal grants credit the least (author, seq), as revokes do above.
    if (op->role > m.role || (op->role == m.role && std::tie(op->at.author, op->at.seq) <
                                                        std::tie(m.granted_by, m.granted_seq))) {
      m.role = op->role;
      m.granted_by = op->at.author;
      m.granted_hlc = op->at.hlc;
      m.granted_seq = op->at.seq;
    }
  }
  if (revoked) {
    Member cut;
    cut.org = org;
    cut.revoked_by = revoked->at.author;
    cut.revoked_hlc = revoked->at.hlc;
    cut.revoked_seq = revoked->at.seq;
    return cut;
  }
  return m;
}

v1::Role Acl::RoleAt(const std::string& org, const OpPoint& at) const {
  return Evaluate(org, [&](const AclOp& op) { return op.at.Precedes(at); }).role;
}

v1::Role Acl::ValidRoleAt(const std::string& org, const OpPoint& at) const {
  return Evaluate(org, [&](const AclOp& op) { return op.valid && op.at.Precedes(at); }).role;
}

Member Acl::Current(const std::string& org) const {
  return Evaluate(org, [](const AclOp& op) { return op.valid; });
}

Status CheckAclOp(const Acl& acl, const std::string& author_org, const AclOp& op) {
  v1::Role have = acl.RoleAt(author_org, op.at);
  if (have != v1::ROLE_ADMIN) {
    return Status::PermissionDenied(NodeIdText(author_org) + " is " + RoleName(have) +
                                    " in this collection; only admins grant and revoke");
  }
  if (op.org.size() != kNodeIdBytes) return Status::InvalidArgument("org is not a 32-byte node ID");
  if (!op.revoke && (op.role < v1::ROLE_READER || op.role > v1::ROLE_ADMIN)) {
    return Status::InvalidArgument("unknown role " + std::to_string(op.role));
  }
  if (op.revoke && acl.RoleAt(op.org, op.at) == v1::ROLE_NONE) {
    return Status::NotFound(NodeIdText(op.org) + " is not a member of this collection");
  }
  if (op.revoke && acl.AdminsAfter(op.at, op) == 0) {
    return Status::FailedPrecondition("revoking " + NodeIdText(op.org) +
                                      " would leave the collection with no admin");
  }
  return Status::Ok();
}

std::vector<Member> Acl::Members(const Filter& filter) const {
  Filter counted = [&](const AclOp& op) { return op.valid && (!filter || filter(op)); };
  std::set<std::string> orgs;
  for (const auto& op : ops_) {
    if (counted(op)) orgs.insert(op.org);
  }
  std::vector<Member> out;
  for (const auto& org : orgs) out.push_back(Evaluate(org, counted));
  return out;
}

int Acl::AdminsAfter(const OpPoint& at, const AclOp& extra) const {
  return AdminsWith([&](const AclOp& op) { return op.at.Precedes(at); }, extra);
}

int Acl::AdminsWith(const Filter& filter, const AclOp& extra) const {
  std::set<std::string> orgs;
  for (const auto& op : ops_) {
    if (filter(op)) orgs.insert(op.org);
  }
  orgs.insert(extra.org);
  int admins = 0;
  for (const auto& org : orgs) {
    if (Evaluate(org, filter, &extra).role == v1::ROLE_ADMIN) ++admins;
  }
  return admins;
}

std::vector<AclLogEntry> Acl::Log() const {
  std::vector<const AclOp*> sorted;
  for (const auto& op : ops_) sorted.push_back(&op);
  // A commit's causal past strictly grows along causality, so its size
  // orders causally; author and seq make the order total.
  std::sort(sorted.begin(), sorted.end(), [](const AclOp* a, const AclOp* b) {
    return std::make_tuple(a->at.deps.Total(), a->at.author, a->at.seq, a->at.index) <
           std::make_tuple(b->at.deps.Total(), b->at.author, b->at.seq, b->at.index);
  });
  std::vector<AclLogEntry> out;
  for (const AclOp* op : sorted) {
    AclLogEntry e;
    e.author = op->at.author;
    e.seq = op->at.seq;
    e.hlc = op->at.hlc;
    e.op_index = op->at.index;
    e.kind = op->genesis ? AclLogEntry::Kind::kGenesis
                         : op->revoke ? AclLogEntry::Kind::kRevoke : AclLogEntry::Kind::kGrant;
    e.org = op->org;
    e.role = op->role;
    e.valid = op->valid;
    e.invalid_reason = op->invalid_reason;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace kongsi::node
