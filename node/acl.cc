#include "node/acl.h"

#include <algorithm>
#include <set>

namespace kongsi::node {

bool OpPoint::Precedes(const OpPoint& later) const {
  if (author == later.author) {
    return seq < later.seq || (seq == later.seq && index < later.index);
  }
  return later.deps.Get(author) >= seq;
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
  bool revoked = false;
  for (const AclOp* op : about) {
    bool maximal = std::none_of(about.begin(), about.end(), [&](const AclOp* other) {
      return other != op && op->at.Precedes(other->at);
    });
    if (!maximal) continue;
    if (op->revoke) {
      revoked = true;
      continue;
    }
    if (op->role > m.role ||
        (op->role == m.role && op->at.author + std::to_string(op->at.seq) <
                                   m.granted_by + std::to_string(m.granted_seq))) {
      m.role = op->role;
      m.granted_by = op->at.author;
      m.granted_hlc = op->at.hlc;
      m.granted_seq = op->at.seq;
    }
  }
  if (revoked) m.role = v1::ROLE_NONE;
  return m;
}

v1::Role Acl::RoleAt(const std::string& org, const OpPoint& at) const {
  return Evaluate(org, [&](const AclOp& op) { return op.at.Precedes(at); }, nullptr).role;
}

v1::Role Acl::CurrentRole(const std::string& org) const { return Evaluate(org, {}, nullptr).role; }

std::vector<Member> Acl::Members(const Filter& filter) const {
  std::set<std::string> orgs;
  for (const auto& op : ops_) {
    if (!filter || filter(op)) orgs.insert(op.org);
  }
  std::vector<Member> out;
  for (const auto& org : orgs) out.push_back(Evaluate(org, filter, nullptr));
  return out;
}

int Acl::AdminsAfter(const OpPoint& at, const AclOp& extra) const {
  Filter in_past = [&](const AclOp& op) { return op.at.Precedes(at); };
  std::set<std::string> orgs;
  for (const auto& op : ops_) {
    if (in_past(op)) orgs.insert(op.org);
  }
  orgs.insert(extra.org);
  int admins = 0;
  for (const auto& org : orgs) {
    if (Evaluate(org, in_past, &extra).role == v1::ROLE_ADMIN) ++admins;
  }
  return admins;
}

}  // namespace kongsi::node
