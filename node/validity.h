// Which commits count (DESIGN §6, normative). A commit is valid iff its
// author holds the needed role in the ACL of the valid Grant/Revoke ops in
// its causal past, and no valid Revoke cuts it: a Revoke R of org A cuts
// every commit of A that R had not seen, unless the commit's deps include a
// valid Grant to A that causally follows R.
//
// Validity is a pure function of the set of commits held, never of arrival
// order or timestamps, so every node judges alike. The ACL ops decide
// everything, and they are few: JudgeAcl recomputes their verdicts from
// scratch whenever one arrives, and JudgeCommit then judges any other
// commit from its author, seq and deps alone.
//
// How concurrent revocations resolve (strong removal, as p2panda's auth):
//  - a Revoke commit R "influences" a Revoke commit S when R would cut an
//    ACL commit S depends on (S itself or one in its causal past);
//  - Revoke commits that influence each other, directly or around a cycle,
//    are a mutual removal: none of them defeats another, all apply (and the
//    grants they cut stay cut, so a member delegated to inside the cycle is
//    removed too);
//  - otherwise influences are settled in order: a Revoke is judged once
//    every Revoke that influences it and every Revoke in its causal past is,
//    counting the valid ones among them. A knot that cannot be ordered (it
//    takes Revokes in one another's causal pasts) is judged as a whole, its
//    members counting as applied among themselves: when in doubt, remove.
//  - every other commit, ACL or data, is then judged against all the
//    Revokes that apply.
#pragma once

#include <string>

#include "node/acl.h"
#include "node/version_vector.h"

namespace kongsi::node {

struct Verdict {
  bool valid = true;
  std::string reason;  // why not, naming the deciding op, when !valid
};

// Judges every op of `acl` and stores the verdicts in the ops (valid,
// invalid_reason); all ops of one commit share their commit's verdict.
void JudgeAcl(Acl* acl);

// The verdict on commit (`author`, `seq`) with `deps`, whose ops need
// `need`, under the judged `acl`. A commit that holds ACL ops gets the
// verdict JudgeAcl gave them.
Verdict JudgeCommit(const Acl& acl, const std::string& author, uint64_t seq,
                    const VersionVector& deps, v1::Role need);

// The role the ops of `c` need: admin for a Grant or Revoke, else writer.
v1::Role RoleNeeded(const v1::Commit& c);
// True when `c` holds a Grant or Revoke: its arrival re-judges the ACL.
bool HoldsAclOps(const v1::Commit& c);

}  // namespace kongsi::node
