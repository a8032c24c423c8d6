#!/usr/bin/env python3
"""Replication between real `kongsi serve` processes on 127.0.0.1 (issue 3):

1. two nodes: A publishes gdp while both run; B joins the invitation; B's
   export equals A's and the digests agree;
2. a chain A-B-C (A and C never connect, C is a writer): A's publish reaches
   C, C's publish of population reaches A, all three digests agree;
3. resume: B is killed part-way through a large initial sync; after the
   restart only the missing commits travel;
4. five nodes in a mesh publish and edit concurrently while nodes are killed
   and restarted at random; all digests agree at the end.

Usage: replication_test.py KONGSI_BINARY SHARED_DATA_DIR
"""
import csv
import json
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kongsi_cluster import Failure, run_scenarios, wait_until  # noqa: E402

KONGSI = sys.argv[1]
DATA = sys.argv[2]
GDP = os.path.join(DATA, "gdp/data/gdp.csv")
POPULATION = os.path.join(DATA, "population/data/population.csv")


def export(node, coll, dataset):
    return node.run("export", "--collection", coll, "--dataset", dataset)


def try_export(node, coll, dataset):
    """The export, or None while the collection or dataset has not arrived."""
    p = node.run("export", "--collection", coll, "--dataset", dataset, check=False)
    return p.stdout.decode() if p.returncode == 0 else None


def version_total(node, coll):
    for c in node.run("collection", "list", json_out=True):
        if c["name"] == coll:
            return c["version_total"]
    return 0


def invited(node, coll):
    return coll in json.dumps(node.run("collection", "invites", json_out=True))


def two_nodes(cl):
    a, b = cl.add("alpha").start(), cl.add("beta").start()
    a.peer(b)
    b.peer(a)
    a.run("collection", "create", "coalition")
    a.run("publish", GDP, "--collection", "coalition", "--dataset", "gdp", "--key", "Country Code,Year")
    a.run("acl", "grant", "coalition", b.node_id, "reader")
    wait_until("beta to see the invitation", lambda: invited(b, "coalition"))
    assert not b.holds("coalition"), "nothing arrives before the join"
    # --wait returns once no connected peer holds a commit beta lacks.
    b.run("collection", "join", "coalition", "--wait", "--timeout", "120")
    assert b.digest("coalition") == a.digest("coalition"), "join --wait returned before the initial sync ended"
    assert export(a, "coalition", "gdp") == export(b, "coalition", "gdp"), "exports differ"
    # Live: a change on A shows on B with no further command.
    edited = os.path.join(cl.root, "gdp-edited.csv")
    with open(GDP, newline="") as f:
        rows = list(csv.reader(f))
    rows[1][3] = "12345.5"
    with open(edited, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    a.run("publish", edited, "--collection", "coalition", "--dataset", "gdp", "--key", "Country Code,Year")
    wait_until("the edit to reach beta", lambda: "12345.5" in export(b, "coalition", "gdp"))
    print("ok two nodes: gdp converged, live edit arrived")
    return a, b


def chain(cl):
    a, b, c = cl.add("chain-a").start(), cl.add("chain-b").start(), cl.add("chain-c").start()
    for x, y in ((a, b), (b, c)):
        x.peer(y, auto_join=True)
        y.peer(x, auto_join=True)
    a.run("collection", "create", "chain")
    a.run("acl", "grant", "chain", b.node_id, "reader")
    a.run("acl", "grant", "chain", c.node_id, "writer")
    a.run("publish", GDP, "--collection", "chain", "--dataset", "gdp", "--key", "Country Code,Year")
    want = export(a, "chain", "gdp")
    wait_until("gdp to reach chain-c through chain-b", lambda: try_export(c, "chain", "gdp") == want, timeout=90)
    c.run("publish", POPULATION, "--collection", "chain", "--dataset", "population", "--key", "Country Code,Year")
    want = export(c, "chain", "population")
    wait_until("population to reach chain-a through chain-b",
               lambda: try_export(a, "chain", "population") == want, timeout=90)
    cl.wait_converged("chain", [a, b, c])
    print("ok chain: A-B-C converged both ways")


def resume(cl):
    a, b = cl.add("resume-a").start(), cl.add("resume-b").start()
    a.peer(b)
    b.peer(a, auto_join=True)
    a.run("collection", "create", "big")
    big = os.path.join(cl.root, "big.csv")
    with open(big, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "supplier", "amount", "note"])
        # Forty import commits (kChainOpsPerCommit rows each), ~3 MiB: long enough to cut half-way.
        for i in range(100_000):
            w.writerow([i, f"s{i % 997}", (i * 7919) % 100000, ""])
    a.run("publish", big, "--collection", "big", "--dataset", "payments", "--key", "id")
    a.run("acl", "grant", "big", b.node_id, "reader")
    total = version_total(a, "big")  # the grant is a commit too
    # Kill B as soon as it holds part of the collection.
    wait_until("resume-b to start receiving", lambda: b.holds("big") and version_total(b, "big") > 0,
               timeout=90, interval=0.02)
    b.stop(signal.SIGKILL)
    had = version_total(b, "big")  # read from the directory: the daemon is gone
    assert 0 < had < total, f"the kill was meant to cut the sync half-way, but B held {had}/{total} commits"
    b.start()
    cl.wait_converged("big", [a, b], timeout=120)

    def received_from_a():
        for p in b.run("peer", "list", json_out=True):
            if p.get("node_id") == a.node_id and p.get("connected"):
                got = p.get("stats", {}).get("commits_received")
                return None if got is None else (got,)  # a tuple: 0 is an answer too
        return None

    (got,) = wait_until("resume-b's peer stats", received_from_a)
    print(f"resume: {had}/{total} commits before the kill, {got} received after the restart")
    assert got == total - had, f"expected only the {total - had} missing commits to travel, got {got}"
    print("ok resume: only the missing commits travelled")


def mesh(cl, seed=20261123):
    rng = random.Random(seed)
    nodes = [cl.add(f"mesh-{i}").start() for i in range(5)]
    edges = {(i, (i + 1) % 5) for i in range(5)} | {(0, 2), (1, 3)}
    for i, j in edges:
        nodes[i].peer(nodes[j], auto_join=True)
        nodes[j].peer(nodes[i], auto_join=True)
    first = nodes[0]
    first.run("collection", "create", "mesh")
    seed_csv = os.path.join(cl.root, "mesh-seed.csv")
    with open(seed_csv, "w") as f:
        f.write("id,org,value\n" + "".join(f"{k},seed,0\n" for k in range(30)))
    first.run("publish", seed_csv, "--collection", "mesh", "--dataset", "shared", "--key", "id")
    for n in nodes[1:]:
        first.run("acl", "grant", "mesh", n.node_id, "writer")
    cl.wait_converged("mesh", nodes, timeout=90)
    for rnd in range(6):
        for i, n in enumerate(nodes):
            if n.proc is None:
                continue
            path = os.path.join(cl.root, f"mesh-{i}-{rnd}.csv")
            keys = rng.sample(range(30), 10)
            with open(path, "w") as f:
                f.write("id,org,value\n" + "".join(f"{k},{n.name},{rnd * 100 + k}\n" for k in sorted(keys)))
            n.run("publish", path, "--collection", "mesh", "--dataset", "shared", "--key", "id")
        victim = nodes[rng.randrange(1, 5)]
        if victim.proc is not None:
            victim.stop(signal.SIGKILL)  # drops all of its links at once
        else:
            victim.start()
        time.sleep(rng.random() * 0.5)
    for n in nodes:
        if n.proc is None:
            n.start()
    digest = cl.wait_converged("mesh", nodes, timeout=120)
    print(f"ok mesh: 5 nodes converged on {digest[:16]}")


def main():
    scenarios = (("two nodes", two_nodes), ("chain", chain), ("resume", resume), ("mesh", mesh))
    # e.g. `replication_test.py KONGSI DATA mesh` while debugging one scenario
    return run_scenarios(KONGSI, "kongsi-repl-", scenarios, only=set(sys.argv[3:]))


if __name__ == "__main__":
    sys.exit(main())
