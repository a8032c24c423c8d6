#!/usr/bin/env python3
"""Crash safety (issue 8): `kongsi serve` is SIGKILLed at random moments
during large publishes and during an initial sync, restarted, and checked.

Publish phase: node `author` publishes a generated spending table (bench/
datagen.py) in which every row's Amount differs from what the node holds, so
each publish is a chain of ROWS / kChainOpsPerCommit commits; node `mirror`
follows the collection as a reader. Each round polls the author's version
through its API while the publish runs (the commits the node has reported:
acknowledged) and SIGKILLs the daemon at a random moment: anywhere in the
publish, or in its apply phase (after the first commit showed). With the
daemon down, the CLI opens the data dir itself, running the same recovery
as `serve`, and checks:
  prefix  the author's seqs are 1..n, no gap;
  acked   n >= every seq reported before the kill; a publish whose CLI
          reported success has landed;
  whole   the round's commits (found by their note) hold all ROWS upserts or
          none, and the version moved by exactly those commits; the export
          is the table of the last landed publish; if nothing landed the
          digest is the one before the round (DESIGN §3: an import lands
          whole or not at all);
then restarts serve and checks
  digest  once the mirror holds the same version, it has the same digest:
          the recovered state is what the commit log implies (DESIGN §4).
A publish that did not land is run again in the next round; at the end the
last table is re-published without a kill, and once more (no ops).

Sync phase: fresh node `joiner` joins the collection; SIGKILLs hit it (and a
few times the sender) at random moments of the initial sync. After each
kill of the joiner: prefix and acked as above, and no partial commit: its
export with provenance equals the author's export as of the joiner's
version. After each kill of the author: its version and digest are
unchanged. After each restart the sync resumes (the version grows). If the
joiner completes before all kills were made, its data dir is put back as it
was before its first sync (same node ID) and another initial sync starts.
At the end the digests agree.

Usage: crash_test.py KONGSI_BINARY SHARED_DATA
Env: KONGSI_CRASH_SEED (replay a run), KONGSI_CRASH_ROWS (table size,
default 40000 / KONGSI_TEST_TIME_SCALE: a sanitized build is slower, and
the kills land in the same phases at any size), KONGSI_CRASH_KILLS
(default 20).
"""
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
import datagen  # noqa: E402
from kongsi_cluster import Failure, run_scenarios, wait_until  # noqa: E402

KONGSI = sys.argv[1]
SEED = int(os.environ.get("KONGSI_CRASH_SEED") or random.SystemRandom().randrange(1 << 32))
ROWS = int(os.environ.get("KONGSI_CRASH_ROWS")
           or 40000 // int(float(os.environ.get("KONGSI_TEST_TIME_SCALE", "1"))))
KILLS = int(os.environ.get("KONGSI_CRASH_KILLS", "20"))
COLL, DATASET = "ledger", "spending"
AMOUNT = datagen.HEADER.index("Amount")


class Tables:
    """Version k of the table: every Amount is the base one plus k pence, so
    each version changes every row against every other version."""

    def __init__(self, root):
        with open(datagen.spending_csv(root, ROWS), newline="") as f:
            self.rows = list(csv.reader(f))
        self.root = root

    def path(self, k):
        path = os.path.join(self.root, f"table-{k}.csv")
        if not os.path.exists(path):
            with open(path, "w", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(self.rows[0])
                for r in self.rows[1:]:
                    cents = int(r[AMOUNT].replace(".", "")) + k
                    w.writerow(r[:AMOUNT] + [f"{cents // 100}.{cents % 100:02d}"] + r[AMOUNT + 1:])
        return path

    def rows_of(self, k):
        with open(self.path(k), newline="") as f:
            return sorted(tuple(r) for r in list(csv.reader(f))[1:])


def exported_rows(node, *extra):
    """The dataset's rows as the node exports them (through the daemon if it
    runs, else opening the data dir), sorted: the key order is the node's."""
    text = node.run("export", "--collection", COLL, "--dataset", DATASET, *extra)
    return sorted(tuple(r) for r in list(csv.reader(text.splitlines()))[1:])


def version(node, author):
    """The seq of `author` this node holds: through the daemon's API while it
    runs, else opening the data dir (which recovers it first)."""
    if node.proc is not None:
        return node.api("collections", COLL)["vv"].get(author.node_id, 0)
    for c in node.run("collection", "list", json_out=True):
        if c["name"] == COLL:
            return c["vv"].get(author.node_id, 0)
    return 0


class Watch:
    """Polls `node`'s API for its version of `author` on a thread of its own,
    keeping the highest answer: what the node has acknowledged. A thread,
    because an answer waits while a commit is being applied (the node's
    write lock) and the kill must not wait with it. An answer read after the
    kill counts too: the daemon sent it before."""

    def __init__(self, node, author, acked=0):
        self.node, self.author, self.acked = node, author, acked
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                v = self.node.api("collections", COLL, timeout=30)["vv"].get(self.author.node_id, 0)
                self.acked = max(self.acked, v)
            except Exception:  # noqa: BLE001 - down, or the collection not there yet: not now
                pass
            self._stop.wait(0.005)

    def wait_past(self, seq, what, timeout=120):
        """Until an acknowledged seq is past `seq`; returns the time it was seen."""
        wait_until(what, lambda: self.acked > seq, timeout=timeout, interval=0.005)
        return time.monotonic()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=60)
        return self.acked


def check_prefix(node, author, acked, what, log=None):
    """prefix and acked (the daemon is down): the author's seqs at `node` are
    1..n with no gap, and n covers every seq the node acknowledged."""
    seqs = {e["seq"] for e in (log if log is not None else read_log(node)) if e["author"] == author.node_id}
    n = max(seqs, default=0)
    if seqs != set(range(1, n + 1)):
        raise Failure(f"{what}: {node.name} holds seqs up to {n} of {author.name} but not "
                      f"{sorted(set(range(1, n + 1)) - seqs)[:5]}")
    if n < acked:
        raise Failure(f"{what}: {node.name} acknowledged seq {acked} of {author.name} before the kill, "
                      f"holds only {n} after it")
    return n


def read_log(node):
    p = node.run("--json", "log", "--collection", COLL, check=False)
    return json.loads(p.stdout) if p.returncode == 0 else []  # the genesis has not arrived


def start_publish(author, path, note):
    return subprocess.Popen([KONGSI, "--data", author.data, "--json", "publish", path, "--collection", COLL,
                             "--dataset", DATASET, "--key", datagen.KEY, "--message", note],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc, what):
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise Failure(f"{what}: the publish did not end within 300 s")
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def publish_whole(author, path, note):
    """An uninterrupted publish; returns (report, seconds, seconds from its
    first commit showing to its end: the apply phase)."""
    watch = Watch(author, author, version(author, author))
    before, t0 = watch.acked, time.monotonic()
    proc = start_publish(author, path, note)
    first = None
    while proc.poll() is None:
        if first is None and watch.acked > before:
            first = time.monotonic()
        time.sleep(0.005)
    watch.stop()
    rc, out, err = finish(proc, note)
    end = time.monotonic()
    if rc != 0:
        raise Failure(f"{note}: publish exited {rc}: {err.strip()}")
    return json.loads(out), end - t0, end - (first or end)


def wait_mirror(author, mirror, what):
    """digest: the mirror, built from the author's commits, reaches the
    author's version and then has its digest."""
    n = version(author, author)

    def mirror_at_n():
        try:
            return version(mirror, author) == n
        except Exception:  # noqa: BLE001 - the invitation not joined yet
            return False

    wait_until(f"{what}: mirror to reach seq {n}", mirror_at_n, timeout=120)
    da, dm = author.digest(COLL), mirror.digest(COLL)
    if da != dm:
        raise Failure(f"{what}: at seq {n} the author's digest {da[:16]} differs from the mirror's {dm[:16]}: "
                      "the recovered state is not what the commit log implies")


def kill_publish(author, rng, path, note, t_full, t_apply):
    """Starts a publish and SIGKILLs the daemon at a random moment: anywhere
    in it, or in its apply phase (after its first commit showed). Returns
    (acknowledged seq, CLI exit code, CLI stderr, how the kill was timed)."""
    before = version(author, author)
    watch = Watch(author, author, before)
    applying = rng.random() < 0.5
    delay = rng.uniform(0, t_apply if applying else t_full)
    t0 = time.monotonic()
    proc = start_publish(author, path, note)
    if applying:
        t0 = watch.wait_past(before, f"{note}: the first commit to show", timeout=300)
    while proc.poll() is None and time.monotonic() - t0 < delay:
        time.sleep(0.002)
    author.kill()
    acked = watch.stop()
    rc, _, err = finish(proc, note)
    return acked, rc, err, f"{'in apply' if applying else 'anywhere'} +{delay:.2f}s"


def publish_phase(cl, rng, tables):
    author, mirror = cl.add("author").start(), cl.add("mirror").start()
    author.peer(mirror)
    mirror.peer(author, auto_join=True)
    author.run("collection", "create", COLL)
    publish_whole(author, tables.path(0), "round 0")
    author.run("acl", "grant", COLL, mirror.node_id, "reader")
    # A second whole publish times an update chain (the shape of every
    # round) and its apply phase.
    report, t_full, t_apply = publish_whole(author, tables.path(1), "round 1")
    print(f"publish of {ROWS} changed rows: {t_full:.1f}s, {report['commits']} commits, "
          f"apply phase {t_apply:.1f}s")
    landed_k, k = 1, 2  # the table the node holds; the one being published
    wait_mirror(author, mirror, "before the kills")
    outcomes = {"landed": 0, "not landed": 0}
    for rnd in range(KILLS):
        what, note = f"publish round {rnd}", f"crash round {rnd}"
        before, digest_before = version(author, author), author.digest(COLL)
        acked, rc, err, how = kill_publish(author, rng, tables.path(k), note, t_full, t_apply)
        # The daemon is down: the CLI opens the data dir, recovering it.
        log = read_log(author)
        n = check_prefix(author, author, acked, what, log)
        mine = [e for e in log if e["note"] == note]
        ops = sum(e["ops"] for e in mine)
        landed = n > before
        if ops not in (0, ROWS) or len(mine) != n - before:
            raise Failure(f"{what}: partial import: {len(mine)} commits ({ops} ops of {ROWS}) of the round, "
                          f"version moved {before} -> {n}")
        if rc == 0 and not landed:
            raise Failure(f"{what}: the publish reported success, but its commits are gone")
        if landed:
            landed_k, k = k, k + 1
        elif author.digest(COLL) != digest_before:
            raise Failure(f"{what}: nothing landed, yet the digest changed")
        if exported_rows(author) != tables.rows_of(landed_k):
            raise Failure(f"{what}: the export is not table {landed_k} (the last landed publish)")
        outcomes["landed" if landed else "not landed"] += 1
        print(f"{what}: kill {how}, {acked - before} commits acknowledged, "
              f"{'landed' if landed else 'not landed'} ({len(mine)} commits): "
              f"{'CLI done' if rc == 0 else (err.strip().splitlines() or ['?'])[-1][:70]}")
        author.start()
        wait_mirror(author, mirror, what)
    # Idempotent re-publish of the last round's table: it lands whole if it
    # had not (else makes no op); once more it makes no op.
    final_k = landed_k if landed else k
    report, _, _ = publish_whole(author, tables.path(final_k), "final")
    again, _, _ = publish_whole(author, tables.path(final_k), "final again")
    if report["ops"] != (0 if landed else ROWS) or again["ops"] != 0 or again["commits"] != 0:
        raise Failure(f"re-publishing table {final_k} made {report['ops']} then {again['ops']} ops "
                      f"(landed before: {landed})")
    if exported_rows(author) != tables.rows_of(final_k):
        raise Failure(f"after the re-publish the export is not table {final_k}")
    wait_mirror(author, mirror, "after the re-publish")
    print(f"ok publish: {outcomes['landed']} landed, {outcomes['not landed']} not; "
          f"re-publish {report['ops']} ops then 0; the mirror's digest agreed each time")
    return author


def joiner_rows(joiner):
    """The joiner's rows with provenance; none while the dataset has not
    arrived (killed before its CreateDataset commit)."""
    p = joiner.run("export", "--collection", COLL, "--dataset", DATASET, "--provenance", check=False)
    if p.returncode != 0:
        if b"no dataset" not in p.stderr:
            raise Failure(f"joiner: export exited {p.returncode}: {p.stderr.decode(errors='replace')}")
        return []
    return sorted(tuple(r) for r in list(csv.reader(p.stdout.decode().splitlines()))[1:])


def sync_phase(cl, rng, author):
    joiner = cl.add("joiner").start()
    author.peer(joiner)
    joiner.peer(author, auto_join=True)
    joiner.stop()
    pristine = os.path.join(cl.root, "joiner-pristine")
    shutil.copytree(joiner.data, pristine)
    author.run("acl", "grant", COLL, joiner.node_id, "reader")
    total, digest = version(author, author), author.digest(COLL)
    sender_kills = set(rng.sample(range(1, KILLS), min(3, KILLS - 1)))
    syncs, held = 1, 0
    joiner.start()
    for kill in range(KILLS):
        what = f"sync kill {kill}"
        if held == total:  # done before all kills: another initial sync
            joiner.stop()
            shutil.rmtree(joiner.data)
            shutil.copytree(pristine, joiner.data)
            syncs, held = syncs + 1, 0
            joiner.start()
        # Resumes: the version grows past what the joiner held.
        watch = Watch(joiner, author, held)
        t0 = time.monotonic()
        t1 = watch.wait_past(held, f"{what}: the joiner's sync to resume past seq {held}")
        rate = (watch.acked - held) / max(t1 - t0, 0.05)
        delay = rng.uniform(0, (total - watch.acked) / rate * 0.8)
        time.sleep(delay)
        if kill in sender_kills:
            author.kill()
            if version(author, author) != total or author.digest(COLL) != digest:
                raise Failure(f"{what}: the sender's version or digest changed across its crash")
            author.start()
            held = watch.stop()
            print(f"{what}: sender killed +{delay:.2f}s, joiner at {held}/{total}")
            continue
        joiner.kill()
        acked = watch.stop()
        n = check_prefix(joiner, author, acked, what)
        # No partial commit: the joiner's data is the author's as of seq n.
        if n < total:
            want = exported_rows(author, "--provenance", "--as-of", f"{author.node_id}:{n}")
            if joiner_rows(joiner) != want:
                raise Failure(f"{what}: the joiner's data at seq {n} is not the author's data as of seq {n}")
        print(f"{what}: joiner killed +{delay:.2f}s, {acked} acknowledged, holds {n}/{total}")
        held = n
        joiner.start()
    cl.wait_converged(COLL, [author, joiner], timeout=180)
    if joiner_rows(joiner) != exported_rows(author, "--provenance"):
        raise Failure("converged digests but different exports")
    print(f"ok sync: {syncs} initial sync(s) through {KILLS} kills converged on {digest[:16]}")


def crash(cl):
    rng = random.Random(SEED)
    tables = Tables(cl.root)
    author = publish_phase(cl, rng, tables)
    sync_phase(cl, rng, author)


def main():
    print(f"crash test: seed {SEED} (KONGSI_CRASH_SEED={SEED} replays it), {ROWS} rows, {KILLS} kills per phase")
    t0 = time.monotonic()
    code = run_scenarios(KONGSI, "kongsi-crash-", (("crash", crash),))
    print(f"{'ok' if code == 0 else 'FAIL'} crash test in {time.monotonic() - t0:.0f}s (seed {SEED})")
    return code


if __name__ == "__main__":
    sys.exit(main())
