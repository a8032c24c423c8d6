#!/usr/bin/env python3
"""The benchmark suite in smoke mode (bench/run.py --smoke: a few thousand
rows, every figure), so `make bench` cannot rot unnoticed. It checks that
every figure issue 7 names is measured and sane, never how fast.

The PouchDB figure needs Node.js and bench/pouchdb/node_modules (`make
bench` runs `npm ci` there); without them the suite records it as null with
a "pending" note, which this test accepts only when npm really is missing.

kongsi_raw_ingest (the limit) is looked up beside the kongsi binary, where
the build puts it. Usage: bench_smoke_test.py KONGSI SHARED_DATA
"""
import json
import numbers
import os
import shutil
import subprocess
import sys
import tempfile

KONGSI, DATA = sys.argv[1], sys.argv[2]
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.path.join(SOURCE, "bench", "run.py")

# Issue 7's keys, and which of them must be > 0 (the others may be 0: no
# ops on a re-publish is the target).
POSITIVE = ["raw_ingest_rows_per_s", "import_rows_per_s", "import_ratio", "sync_rows_per_s", "sync_ratio",
            "incremental_p50_ms", "incremental_p99_ms", "incremental_bytes", "republish_speedup",
            "rss_mb_100k", "rss_mb_1m", "convergence_s", "pouchdb_docs_per_s"]
NON_NEGATIVE = ["republish_ops", "republish_recheck_ops"]


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def pouchdb_can_run():
    return bool(shutil.which("node")) and os.path.isdir(os.path.join(SOURCE, "bench", "pouchdb", "node_modules"))


def main():
    bin_dir = os.path.dirname(os.path.abspath(KONGSI))
    if not os.access(os.path.join(bin_dir, "kongsi_raw_ingest"), os.X_OK):
        fail(f"{bin_dir}/kongsi_raw_ingest is missing: build the kongsi_raw_ingest target")
    with tempfile.TemporaryDirectory(prefix="kongsi-bench-smoke-") as work:
        out = os.path.join(work, "results.json")
        cmd = [sys.executable, RUN, "--smoke", "--bin", bin_dir, "--shared-data", DATA,
               "--work", os.path.join(work, "scratch"), "--out", out, "--readme", "no"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=540)
        if p.returncode != 0:
            fail(f"bench/run.py --smoke exited {p.returncode}:\n{p.stderr[-4000:]}")
        with open(out) as f:
            result = json.load(f)

    if result.get("mode") != "smoke":
        fail(f"results.json says mode {result.get('mode')!r}, expected 'smoke'")
    figures = result.get("figures")
    if not isinstance(figures, dict):
        fail("results.json has no `figures` object")
    notes = result.get("notes", {})
    for key in POSITIVE + NON_NEGATIVE:
        if key not in figures:
            fail(f"figures has no key {key}")
        value = figures[key]
        if key == "pouchdb_docs_per_s" and value is None:
            if pouchdb_can_run():
                fail(f"pouchdb_docs_per_s is null although Node.js and node_modules are there: {notes.get('pouchdb')}")
            if "pending" not in str(notes.get("pouchdb", "")):
                fail(f"pouchdb_docs_per_s is null without a pending note: {notes}")
            print("bench smoke: PouchDB not measured (no Node.js or node_modules):", notes["pouchdb"])
            continue
        if not isinstance(value, numbers.Number) or isinstance(value, bool):
            fail(f"figures[{key!r}] = {value!r} is not a number (notes: {notes})")
        if key in POSITIVE and not value > 0:
            fail(f"figures[{key!r}] = {value!r}, expected > 0")
        if key in NON_NEGATIVE and value < 0:
            fail(f"figures[{key!r}] = {value!r}, expected >= 0")
    # An unchanged re-publish makes no ops (issue 7, figure 5): a correctness
    # property, not a speed one.
    for key in ("republish_ops", "republish_recheck_ops"):
        if figures[key] != 0:
            fail(f"re-publishing the unchanged file made {figures[key]} ops ({key}), expected 0")
    machine = figures.get("machine")
    if not isinstance(machine, dict) or not isinstance(machine.get("cores"), int) or machine["cores"] < 1:
        fail(f"figures.machine has no core count: {machine!r}")
    if not machine.get("cpu_model"):
        fail(f"figures.machine has no CPU model: {machine!r}")
    print("bench smoke: every figure measured;",
          ", ".join(f"{k}={figures[k]:.4g}" for k in POSITIVE if isinstance(figures[k], numbers.Number)))


if __name__ == "__main__":
    main()
