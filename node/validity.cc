#include "node/validity.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

#include "node/identity.h"

namespace kongsi::node {
namespace {

std::string Short(const std::string& node_id) { return NodeIdText(node_id).substr(0, 8); }

std::string CommitName(const std::string& author, uint64_t seq) {
  return Short(NodeIdFromPublicKey(author)) + ":" + std::to_string(seq);
}

// Why commit (author, seq) at `at` (its index-0 point) is cut, or "" if no
// Revoke that `cutting` admits cuts it. Grants count as re-grants when
// `counted` admits them.
std::string CutReason(const Acl& acl, const std::string& org, const std::string& author,
                      uint64_t seq, const OpPoint& at, const Acl::Filter& cutting,
                      const Acl::Filter& counted) {
  const AclOp* first = nullptr;  // the least cutting Revoke, so every node names the same one
  for (const auto& r : acl.ops()) {
    if (!r.revoke || r.org != org || !cutting(r) || r.at.Sees(author, seq)) continue;
    bool regranted = std::any_of(acl.ops().begin(), acl.ops().end(), [&](const AclOp& g) {
      return !g.revoke && g.org == org && counted(g) && r.at.Precedes(g.at) && g.at.Precedes(at);
    });
    if (!regranted && (!first || std::tie(r.at.author, r.at.seq, r.at.index) <
                                     std::tie(first->at.author, first->at.seq, first->at.index))) {
      first = &r;
    }
  }
  if (!first) return "";
  return "cut by the revocation of " + Short(org) + " in commit " +
         CommitName(first->at.author, first->at.seq) + ", which had not seen it";
}

// One commit that holds ACL ops.
struct Group {
  std::string author, org;
  uint64_t seq = 0;
  OpPoint at;                     // index 0: the commit's deps
  std::vector<const AclOp*> ops;  // in op order
  bool genesis = false;
  bool has_revoke = false;
};

class Judge {
 public:
  explicit Judge(const Acl& acl) : acl_(acl) {
    std::map<std::pair<std::string, uint64_t>, size_t> index;
    for (const auto& op : acl.ops()) {
      auto [it, added] = index.try_emplace({op.at.author, op.at.seq}, groups_.size());
      if (added) {
        Group g;
        g.author = op.at.author;
        g.org = NodeIdFromPublicKey(op.at.author);
        g.seq = op.at.seq;
        g.at = op.at;
        g.at.index = 0;
        groups_.push_back(std::move(g));
      }
      Group& g = groups_[it->second];
      g.ops.push_back(&op);
      g.genesis |= op.genesis;
      g.has_revoke |= op.revoke;
    }
    // A causal order: a commit's causal past strictly grows along causality.
    std::sort(groups_.begin(), groups_.end(), [](const Group& a, const Group& b) {
      return std::make_tuple(a.at.deps.Total(), a.author, a.seq) <
             std::make_tuple(b.at.deps.Total(), b.author, b.seq);
    });
    for (size_t g = 0; g < groups_.size(); ++g) {
      auto& ops = groups_[g].ops;
      std::sort(ops.begin(), ops.end(),
                [](const AclOp* a, const AclOp* b) { return a->at.index < b->at.index; });
      for (const AclOp* op : ops) group_of_[op] = g;
      if (groups_[g].has_revoke) revokes_.push_back(g);
    }
  }

  // Verdicts, aligned with groups().
  std::vector<Verdict> Run();
  const std::vector<Group>& groups() const { return groups_; }

 private:
  using Matrix = std::vector<std::vector<char>>;
  bool Sees(size_t g, size_t h) const {
    return groups_[g].at.Sees(groups_[h].author, groups_[h].seq);
  }
  Verdict JudgeGroup(size_t g, const std::vector<char>& cutters,
                     const std::vector<Verdict>& verdicts) const;
  static void Close(Matrix* m);

  const Acl& acl_;
  std::vector<Group> groups_;
  std::map<const AclOp*, size_t> group_of_;
  std::vector<size_t> revokes_;  // groups holding a Revoke, in causal order
};

void Judge::Close(Matrix* m) {
  size_t n = m->size();
  for (size_t k = 0; k < n; ++k) {
    for (size_t i = 0; i < n; ++i) {
      if (!(*m)[i][k]) continue;
      for (size_t j = 0; j < n; ++j) (*m)[i][j] |= (*m)[k][j];
    }
  }
}

// `cutters[g]`: the Revokes of group g apply to this judgement.
// `verdicts[h]`: set for every group h in g's causal past.
Verdict Judge::JudgeGroup(size_t g, const std::vector<char>& cutters,
                          const std::vector<Verdict>& verdicts) const {
  const Group& group = groups_[g];
  if (group.genesis) return {};
  // Earlier ops of the commit itself count, as they would if it is valid.
  auto counted = [&](const AclOp& op) {
    size_t h = group_of_.at(&op);
    return h == g || verdicts[h].valid;
  };
  for (const AclOp* op : group.ops) {
    Acl::Filter before = [&](const AclOp& o) { return counted(o) && o.at.Precedes(op->at); };
    v1::Role have = acl_.Evaluate(group.org, before).role;
    if (have < v1::ROLE_ADMIN) {
      return {false, "its author was " + std::string(RoleName(have)) + " at its deps; a " +
                         (op->revoke ? "Revoke" : "Grant") + " needs admin"};
    }
    if (op->revoke && acl_.AdminsWith(before, *op) == 0) {
      return {false, "revoking " + Short(op->org) + " would leave no admin at its deps"};
    }
  }
  std::string cut = CutReason(
      acl_, group.org, group.author, group.seq, group.at,
      [&](const AclOp& r) { return cutters[group_of_.at(&r)] != 0; }, counted);
  if (!cut.empty()) return {false, cut};
  return {};
}

std::vector<Verdict> Judge::Run() {
  const size_t n = groups_.size(), m = revokes_.size();
  // influence[i][j]: a Revoke of revokes_[i] would cut an ACL commit that
  // revokes_[j] depends on.
  Matrix influence(m, std::vector<char>(m, 0));
  for (size_t i = 0; i < m; ++i) {
    for (const AclOp* r : groups_[revokes_[i]].ops) {
      if (!r->revoke) continue;
      for (size_t c = 0; c < n; ++c) {
        if (groups_[c].org != r->org || Sees(revokes_[i], c)) continue;
        for (size_t j = 0; j < m; ++j) influence[i][j] |= Sees(revokes_[j], c);
      }
    }
  }
  Matrix mutual = influence;
  Close(&mutual);
  auto is_mutual = [&](size_t i, size_t j) { return i != j && mutual[i][j] && mutual[j][i]; };
  // dep[i][j]: revokes_[j] is judged after revokes_[i].
  Matrix dep(m, std::vector<char>(m, 0));
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < m; ++j) {
      dep[i][j] =
          (influence[i][j] && !is_mutual(i, j)) || (i != j && Sees(revokes_[j], revokes_[i]));
    }
  }
  Matrix knot = dep;
  Close(&knot);
  auto same_knot = [&](size_t i, size_t j) { return i == j || (knot[i][j] && knot[j][i]); };

  std::vector<char> decided(m, 0), applies(m, 0);
  std::vector<Verdict> judged(m);  // the verdict of each Revoke commit, once decided
  std::vector<size_t> slot(n, m);  // group -> its index in revokes_, or m
  for (size_t i = 0; i < m; ++i) slot[revokes_[i]] = i;
  for (size_t done = 0; done < m;) {
    // The first knot whose outside predecessors are all judged: the result
    // does not depend on which ready knot goes first.
    std::vector<size_t> members;
    for (size_t i = 0; i < m && members.empty(); ++i) {
      if (decided[i]) continue;
      std::vector<size_t> knot_members;
      bool ready = true;
      for (size_t j = 0; j < m; ++j) {
        if (!same_knot(i, j)) continue;
        knot_members.push_back(j);
        for (size_t k = 0; k < m; ++k) ready &= !dep[k][j] || same_knot(k, j) || decided[k];
      }
      if (ready) members = std::move(knot_members);
    }
    if (members.empty()) {  // cannot happen (knots form a DAG); judge the rest together
      for (size_t i = 0; i < m; ++i) {
        if (!decided[i]) members.push_back(i);
      }
    }
    std::vector<Verdict> verdict(members.size());
    for (size_t x = 0; x < members.size(); ++x) {
      size_t i = members[x];
      std::vector<char> cutters(n, 0);
      for (size_t k = 0; k < m; ++k)
        cutters[revokes_[k]] = decided[k] && applies[k] && !is_mutual(k, i);
      std::vector<Verdict> verdicts(n);
      for (size_t h = 0; h < n; ++h) {
        if (!Sees(revokes_[i], h) || h == revokes_[i]) continue;
        size_t k = slot[h];
        if (k == m) {
          verdicts[h] = JudgeGroup(h, cutters, verdicts);
        } else {
          verdicts[h].valid = decided[k] ? applies[k] != 0 : true;  // undecided: in this knot
        }
      }
      verdict[x] = JudgeGroup(revokes_[i], cutters, verdicts);
    }
    for (size_t x = 0; x < members.size(); ++x) {
      decided[members[x]] = 1;
      applies[members[x]] = verdict[x].valid;
      judged[members[x]] = std::move(verdict[x]);
    }
    done += members.size();
  }

  // Every commit against every Revoke that applies.
  std::vector<char> cutters(n, 0);
  for (size_t k = 0; k < m; ++k) cutters[revokes_[k]] = applies[k];
  std::vector<Verdict> verdicts(n);
  for (size_t h = 0; h < n; ++h) {
    // A Revoke commit keeps the verdict it was judged with: one that applies
    // is valid even where a mutual Revoke cuts it (strong removal).
    verdicts[h] = slot[h] < m ? judged[slot[h]] : JudgeGroup(h, cutters, verdicts);
  }
  return verdicts;
}

}  // namespace

void JudgeAcl(Acl* acl) {
  Judge judge(*acl);
  std::vector<Verdict> verdicts = judge.Run();
  std::map<std::pair<std::string, uint64_t>, const Verdict*> by_commit;
  for (size_t g = 0; g < verdicts.size(); ++g) {
    by_commit[{judge.groups()[g].author, judge.groups()[g].seq}] = &verdicts[g];
  }
  for (auto& op : acl->mutable_ops()) {
    const Verdict* v = by_commit.at({op.at.author, op.at.seq});
    op.valid = v->valid;
    op.invalid_reason = v->reason;
  }
}

Verdict JudgeCommit(const Acl& acl, const std::string& author, uint64_t seq,
                    const VersionVector& deps, v1::Role need) {
  for (const auto& op : acl.ops()) {
    if (op.at.author == author && op.at.seq == seq) return {op.valid, op.invalid_reason};
  }
  const std::string org = NodeIdFromPublicKey(author);
  OpPoint at;
  at.author = author;
  at.seq = seq;
  at.deps = deps;
  v1::Role have = acl.ValidRoleAt(org, at);
  if (have < need) {
    return {false, "its author was " + std::string(RoleName(have)) + " at its deps, needs " +
                       RoleName(need)};
  }
  auto valid = [](const AclOp& op) { return op.valid; };
  std::string cut = CutReason(acl, org, author, seq, at, valid, valid);
  if (!cut.empty()) return {false, cut};
  return {};
}

bool HoldsAclOps(const v1::Commit& c) {
  return std::any_of(c.ops().begin(), c.ops().end(),
                     [](const v1::Op& op) { return op.has_grant() || op.has_revoke(); });
}

v1::Role RoleNeeded(const v1::Commit& c) {
  return HoldsAclOps(c) ? v1::ROLE_ADMIN : v1::ROLE_WRITER;
}

}  // namespace kongsi::node
