#!/usr/bin/env python3
"""Permissions across real `kongsi serve` processes on 127.0.0.1 (issue 4,
DESIGN §6):

1. cut writer: A revokes writer W while A is partitioned; W keeps writing
   and its commits reach R; after healing, W's cut commits are invalid on
   A and R (`log --invalid` lists them) and its values are gone from their
   exports;
2. mutual revocation: admins A and B revoke each other, each partitioned
   with one observer; when the observers meet, both are removed, their
   other concurrent commits are invalid, and the observers agree on
   digest, `acl list` and `log --invalid`;
3. re-grant: after 1, A grants W writer again: W learns it was cut, its
   cut commits stay invalid everywhere, a commit after the re-grant counts;
4. cut grant: admin A, unaware that root revoked it, grants X writer; X's
   commits are invalid everywhere once the revocation arrives;
5. bad input: revoking the last admin, a non-member, a non-admin's grant,
   a malformed node ID or an unknown role are refused with a clear error
   and change nothing (digest unchanged).

A partition stops a node's daemon: its CLI then works on its directory
directly. A revoked node gets nothing more from the members who know it is
revoked (the send-side ACL), so "every node" is every node still a member;
the revoked node keeps its own view (shared data cannot be unshared).

Usage: acl_scenarios_test.py KONGSI_BINARY SHARED_DATA_DIR [SCENARIO...]
"""
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kongsi_cluster import run_scenarios, wait_until  # noqa: E402

KONGSI = sys.argv[1]
DATA = sys.argv[2]
POPULATION = os.path.join(DATA, "population/data/population.csv")
KEY = "Country Code,Year"
ROWS = 200  # of population.csv: enough to be real, small enough to be quick


def population_rows():
    with open(POPULATION, newline="") as f:
        return list(csv.reader(f))[: ROWS + 1]


def publish(cl, node, coll, marker=None):
    """Publishes the population rows as dataset `pop`; with `marker`, the
    first row's Value is `marker` (a number no real row has)."""
    rows = population_rows()
    if marker is not None:
        rows[1][3] = str(marker)
    path = os.path.join(cl.root, f"{node.name}-{marker}.csv")
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    node.run("publish", path, "--collection", coll, "--dataset", "pop", "--key", KEY)


def export(node, coll):
    return node.run("export", "--collection", coll, "--dataset", "pop")


def mesh(nodes, pairs):
    for x, y in pairs:
        nodes[x].peer(nodes[y])
        nodes[y].peer(nodes[x])


def new_commits(node, coll, before):
    """`node`'s own commits made since `before` (a set of its seqs)."""
    return {(node.node_id, s) for s in node.commits_by(coll, node) - before}


def assert_cut(coll, cut, marker, members):
    """Every commit in `cut` is listed invalid on every node of `members`,
    and `marker` is in none of their exports."""
    for n in members:
        invalid = n.invalid_commits(coll)
        missing = cut - invalid.keys()
        assert not missing, f"{n.name}: cut commits not listed by log --invalid: {sorted(missing)}"
        assert str(marker) not in export(n, coll), f"{n.name}: cut value {marker} still exported"


def assert_same_view(coll, nodes):
    """Same digest, `acl list` and `log --invalid` on every node."""
    first = nodes[0]
    for n in nodes[1:]:
        assert n.digest(coll) == first.digest(coll), f"digests of {first.name} and {n.name} differ"
        assert n.roles(coll) == first.roles(coll), f"acl list differs: {first.name} {first.roles(coll)} " \
                                                   f"vs {n.name} {n.roles(coll)}"
        assert n.invalid_commits(coll).keys() == first.invalid_commits(coll).keys(), \
            f"log --invalid differs between {first.name} and {n.name}"


def revoked_writer(cl, coll):
    """Scenarios 1 and 3's start: A (admin), W (writer), R (reader); A,
    partitioned, revokes W while W writes twice and R receives it. Returns
    the nodes and W's cut commits."""
    a, w, r = (cl.add(f"{coll}-{x}").start() for x in ("a", "w", "r"))
    mesh([a, w, r], [(0, 1), (0, 2), (1, 2)])
    a.run("collection", "create", coll)
    publish(cl, a, coll)
    a.run("acl", "grant", coll, w.node_id, "writer")
    a.run("acl", "grant", coll, r.node_id, "reader")
    w.join(coll)
    r.join(coll)
    cl.wait_converged(coll)

    a.stop()  # partition A: its CLI now works on its directory
    a.run("acl", "revoke", coll, w.node_id)
    before = w.commits_by(coll, w)
    publish(cl, w, coll, marker=9990001)
    publish(cl, w, coll, marker=9990002)
    cut = new_commits(w, coll, before)
    assert len(cut) == 2, f"expected 2 new commits by W, got {sorted(cut)}"
    wait_until("W's writes to reach R", lambda: "9990002" in export(r, coll))
    assert not r.invalid_commits(coll), "R has not seen the revocation: nothing is cut yet"

    a.start()  # heal
    cl.wait_converged(coll, [a, r])
    return a, w, r, cut


def refusing(node, coll):
    """The peers that tell `node` it may no longer read `coll` (`peer list`)."""
    return {p["node_id"] for p in node.run("peer", "list", json_out=True)
            if any(r["name"] == coll for r in p["refused"])}


def cut_writer(cl):
    coll = "s1"
    a, w, r, cut = revoked_writer(cl, coll)
    assert_cut(coll, cut, 9990002, [a, r])
    assert_cut(coll, cut, 9990001, [a, r])
    # The base values A published count again on both.
    assert export(a, coll) == export(r, coll) == export_of_base(cl, coll)
    for n in (a, r):
        assert n.roles(coll)[w.node_id] == "none", f"{n.name}: W still has a role"
        reasons = [n.invalid_commits(coll)[c] for c in cut]
        assert all("revok" in why.lower() or "cut" in why.lower() for why in reasons), reasons
        acl_list = {m["node_id"]: m for m in n.run("acl", "list", coll, json_out=True)}
        assert acl_list[w.node_id]["revoked_by"] == a.node_id, acl_list[w.node_id]
    assert_same_view(coll, [a, r])
    # W keeps its own view, but hears from both why nothing more comes.
    wait_until("W to hear A's and R's refusals",
               lambda: refusing(w, coll) == {a.node_id, r.node_id})
    assert f"sends nothing of {coll}: " in w.run("peer", "list")
    print("ok 1 cut writer: W's 2 cut commits invalid on A and R, values gone from both exports;"
          " W is told it may no longer read")


def export_of_base(cl, coll):
    """The export of the unedited population rows, made on a scratch node."""
    if not hasattr(cl, "base_export"):
        scratch = cl.add("scratch")
        scratch.run("collection", "create", "base")
        publish(cl, scratch, "base")
        cl.base_export = export(scratch, "base")
    return cl.base_export


def mutual_revocation(cl):
    coll = "s2"
    a, b, c, d = (cl.add(f"{coll}-{x}").start() for x in ("a", "b", "c", "d"))
    # A line a - c - d - b: stopping D splits it into {a, c} and {b}.
    mesh([a, b, c, d], [(0, 2), (2, 3), (3, 1)])
    a.run("collection", "create", coll)
    publish(cl, a, coll)
    a.run("acl", "grant", coll, b.node_id, "admin")
    a.run("acl", "grant", coll, c.node_id, "writer")
    a.run("acl", "grant", coll, d.node_id, "writer")
    c.join(coll)
    d.join(coll)
    b.join(coll)
    cl.wait_converged(coll)

    d.stop()
    before_a, before_b = a.commits_by(coll, a), b.commits_by(coll, b)
    a.run("acl", "revoke", coll, b.node_id)
    publish(cl, a, coll, marker=9990011)
    b.run("acl", "revoke", coll, a.node_id)  # B is alone: it has not seen A's revoke
    publish(cl, b, coll, marker=9990012)
    cl.wait_converged(coll, [a, c])
    edit_a = new_commits(a, coll, before_a)
    edit_b = new_commits(b, coll, before_b)
    # Revoke, then edit: the edit is the greater seq.
    cut = {max(edit_a), max(edit_b)}

    c.stop()  # so D meets B first, then C: no race decides who learns what
    d.start()
    wait_until("D to receive B's revoke and edit", lambda: "9990012" in export(d, coll))
    c.start()
    cl.wait_converged(coll, [c, d])
    for n in (c, d):
        roles = n.roles(coll)
        assert roles[a.node_id] == "none" and roles[b.node_id] == "none", f"{n.name}: {roles}"
        revokes = [e for e in n.run("acl", "log", coll, json_out=True) if e["op"] == "revoke"]
        assert len(revokes) == 2 and all(e["valid"] for e in revokes), f"{n.name}: {revokes}"
    assert_cut(coll, cut, 9990011, [c, d])
    assert_cut(coll, cut, 9990012, [c, d])
    assert_same_view(coll, [c, d])
    print("ok 2 mutual revocation: A and B both removed, both edits invalid, C and D agree")


def regrant(cl):
    coll = "s3"
    a, w, r, cut = revoked_writer(cl, coll)
    a.run("acl", "grant", coll, w.node_id, "writer")
    cl.wait_converged(coll)  # W may read again: it gets the revoke and the re-grant
    assert_cut(coll, cut, 9990002, [a, w, r])
    before = w.commits_by(coll, w)
    publish(cl, w, coll, marker=9990003)
    after = new_commits(w, coll, before)
    cl.wait_converged(coll)
    for n in (a, w, r):
        assert "9990003" in export(n, coll), f"{n.name}: the write after the re-grant is missing"
        invalid = n.invalid_commits(coll)
        assert not (after & invalid.keys()), f"{n.name}: the write after the re-grant is invalid"
        assert cut <= invalid.keys(), f"{n.name}: re-granting revived cut commits"
        assert n.roles(coll)[w.node_id] == "writer"
    assert_same_view(coll, [a, w, r])
    print("ok 3 re-grant: cut commits stay invalid on A, W and R; the write after the re-grant counts")


def cut_grant(cl):
    coll = "s4"
    root, a, o = (cl.add(f"{coll}-{x}").start() for x in ("root", "a", "o"))
    mesh([root, a, o], [(0, 1), (0, 2), (1, 2)])
    root.run("collection", "create", coll)
    publish(cl, root, coll)
    root.run("acl", "grant", coll, a.node_id, "admin")
    root.run("acl", "grant", coll, o.node_id, "writer")
    a.join(coll)
    o.join(coll)
    cl.wait_converged(coll)

    root.stop()
    root.run("acl", "revoke", coll, a.node_id)
    x = cl.add(f"{coll}-x").start()
    mesh([a, o, x], [(0, 2), (1, 2)])
    before_a = a.commits_by(coll, a)
    a.run("acl", "grant", coll, x.node_id, "writer")  # A has not seen its revocation
    grant = new_commits(a, coll, before_a)
    x.join(coll)
    wait_until("X to receive the collection", lambda: x.holds(coll) and x.digest(coll) == a.digest(coll))
    publish(cl, x, coll, marker=9990041)
    x_commits = {(x.node_id, s) for s in x.commits_by(coll, x)}
    wait_until("X's write to reach O", lambda: "9990041" in export(o, coll))

    root.start()
    cl.wait_converged(coll, [root, o])
    assert_cut(coll, grant | x_commits, 9990041, [root, o])
    for n in (root, o):
        roles = n.roles(coll)
        assert roles.get(x.node_id, "none") == "none", f"{n.name}: X has a role: {roles}"
        assert roles[a.node_id] == "none", f"{n.name}: A still has a role"
    assert_same_view(coll, [root, o])
    print("ok 4 cut grant: A's grant to X and X's commits invalid on root and O")


def bad_input(cl):
    coll = "s5"
    a, w = cl.add(f"{coll}-a").start(), cl.add(f"{coll}-w").start()
    mesh([a, w], [(0, 1)])
    a.run("collection", "create", coll)
    publish(cl, a, coll)
    a.run("acl", "grant", coll, w.node_id, "writer")
    w.join(coll)
    digest = cl.wait_converged(coll)
    stranger = "7C3A5XBF4ZWLXTAGHBNIGYVBRZT2JF5LPTWXZ2SHRJ6IYSO3OPUA"

    def refused(node, args, code, says):
        p = node.run(*args, check=False)
        err = p.stderr.decode(errors="replace")
        assert p.returncode == code, f"kongsi {' '.join(args)}: exit {p.returncode}, want {code}: {err}"
        assert says in err, f"kongsi {' '.join(args)}: error does not say {says!r}: {err}"
        assert node.digest(coll) == digest, f"kongsi {' '.join(args)} changed the collection"

    refused(a, ["acl", "revoke", coll, a.node_id], 1, "no admin")
    refused(a, ["acl", "revoke", coll, stranger], 1, "not a member")
    refused(w, ["acl", "grant", coll, stranger, "reader"], 1, "only admins")
    refused(w, ["acl", "revoke", coll, a.node_id], 1, "only admins")
    refused(a, ["acl", "grant", coll, "NOT-A-NODE-ID", "writer"], 2, "NOT-A-NODE-ID")
    refused(a, ["acl", "grant", coll, stranger, "boss"], 2, "unknown role")
    # The same refusals with the daemon stopped (the CLI on the directory).
    a.stop()
    refused(a, ["acl", "revoke", coll, a.node_id], 1, "no admin")
    assert a.roles(coll)[a.node_id] == "admin"
    print("ok 5 bad input: last admin, non-member, non-admin, bad ID and role refused; nothing changed")


def main():
    scenarios = (("cut writer", cut_writer), ("mutual revocation", mutual_revocation),
                 ("re-grant", regrant), ("cut grant", cut_grant), ("bad input", bad_input))
    # e.g. `acl_scenarios_test.py K D re-grant` while debugging one scenario
    return run_scenarios(KONGSI, "kongsi-acl-", scenarios, only=set(sys.argv[3:]))


if __name__ == "__main__":
    sys.exit(main())
