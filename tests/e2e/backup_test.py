#!/usr/bin/env python3
"""`kongsi backup` and `kongsi restore` on real data (issue 6):

1. a stopped node: publish GDP, back up, restore into a fresh dir: same
   digest, node.key still 0600, the restored node serves and exports the same;
2. a running node: publish population through it, back up while it serves
   (through its API: the daemon holds the database), restore: same digest;
3. bad input: a backup into a non-empty dir, a restore from a dir that is not
   a backup or into a non-empty dir: exit 1, a message naming the problem,
   nothing written.

Usage: backup_test.py KONGSI_BINARY SHARED_DATA_DIR
"""
import json
import os
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kongsi_cluster import Failure, Node  # noqa: E402

KONGSI = os.path.abspath(sys.argv[1])
DATA = sys.argv[2]
GDP = os.path.join(DATA, "gdp/data/gdp.csv")
POPULATION = os.path.join(DATA, "population/data/population.csv")
COLL = "indicators"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def kongsi(*args, cwd=None):
    return subprocess.run([KONGSI] + list(args), capture_output=True, text=True, timeout=300, cwd=cwd)


def restore(backup, target):
    p = kongsi("--data", target, "restore", "--from", backup)
    if p.returncode != 0:
        raise Failure(f"restore {backup} -> {target} exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def check_restored(root, name, node, want_digest):
    restored = Node(KONGSI, root, name, init=False)
    assert restored.node_id == node.node_id, "the restored node has another identity"
    assert mode(os.path.join(restored.data, "node.key")) == 0o600, "node.key lost its mode"
    got = restored.digest(COLL)
    assert got == want_digest, f"{name}: digest {got} != {want_digest} of the backed-up node"
    restored.start()  # the restored node serves
    try:
        assert restored.digest(COLL) == want_digest, "the served restore has another digest"
        status = restored.run("status", json_out=True)
        assert status["serving"], "status was not answered by the running restored node"
        return restored.run("export", "--collection", COLL, "--dataset", "gdp")
    finally:
        restored.stop()


def stopped_node(root, node):
    node.run("collection", "create", COLL)
    node.run("publish", GDP, "--collection", COLL, "--dataset", "gdp", "--key", "Country Code,Year")
    want = node.digest(COLL)
    backup = os.path.join(root, "backup-stopped")
    out = node.run("backup", "--to", backup)
    assert "backed up node" in out, out
    assert mode(os.path.join(backup, "node.key")) == 0o600, "node.key in the backup is not 0600"
    with open(os.path.join(backup, "backup.json")) as f:
        assert json.load(f)["node_id"] == node.node_id
    restore(backup, os.path.join(root, "restored-stopped"))
    exported = check_restored(root, "restored-stopped", node, want)
    assert exported == node.run("export", "--collection", COLL, "--dataset", "gdp"), "exports differ"
    print("ok stopped node: backup restored with the same digest, key 0600, serves")


def running_node(root, node):
    node.start()
    try:
        node.run("publish", POPULATION, "--collection", COLL, "--dataset", "population", "--key",
                 "Country Code,Year")
        want = node.digest(COLL)
        # A relative --to is the caller's: the daemon's working dir is not ours.
        out = kongsi("--data", node.data, "backup", "--to", "backup-running", cwd=root)
        assert out.returncode == 0, out.stderr
        assert os.path.isfile(os.path.join(root, "backup-running", "backup.json")), "backup not where asked"
        assert node.run("status", json_out=True)["serving"], "the node stopped serving during the backup"
    finally:
        node.stop()
    restore(os.path.join(root, "backup-running"), os.path.join(root, "restored-running"))
    check_restored(root, "restored-running", node, want)
    print("ok running node: backup made while serving restores with the same digest")


def expect_error(args, fragments, untouched):
    before = {p: sorted(os.listdir(p)) for p in untouched}
    p = kongsi(*args)
    assert p.returncode == 1, f"{args}: exit {p.returncode}, stderr {p.stderr!r}"
    for frag in fragments:
        assert frag in p.stderr, f"{args}: {frag!r} not in {p.stderr!r}"
    for path, listing in before.items():
        assert sorted(os.listdir(path)) == listing, f"{path} changed"


def bad_input(root, node):
    full = os.path.join(root, "not-empty")
    os.makedirs(full)
    open(os.path.join(full, "keep.txt"), "w").write("mine")
    expect_error(["--data", node.data, "backup", "--to", full], ["not empty", full], [full])
    not_backup = node.data
    target = os.path.join(root, "never-written")
    expect_error(["--data", target, "restore", "--from", not_backup],
                 ["is not a Kongsi backup", "backup.json"], [root])
    assert not os.path.exists(target)
    expect_error(["--data", full, "restore", "--from", os.path.join(root, "backup-stopped")],
                 ["not empty"], [full])
    print("ok bad input: clear errors, nothing written")


def main():
    with tempfile.TemporaryDirectory(prefix="kongsi-backup-") as root:
        node = Node(KONGSI, root, "alpha")
        try:
            stopped_node(root, node)
            running_node(root, node)
            bad_input(root, node)
        except (Failure, AssertionError) as e:
            print(f"FAIL: {e}\n--- log of alpha ---\n{node.log()}")
            return 1
        finally:
            node.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
