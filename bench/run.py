#!/usr/bin/env python3
"""Kongsi's benchmark suite (issue 7): prints a table and writes
bench/results.json. `make bench` builds in Release and runs the full suite
(1M rows, minutes); `--smoke` runs every figure on a few thousand rows in
seconds and fails if one cannot be measured, so the suite cannot rot.

Each figure is measured in the same run as the limit it is compared with,
on deterministic data (bench/datagen.py). See bench/README.md.
"""
import argparse
import json
import numbers
import os
import shutil
import signal
import sys
import time

import figure_pouchdb
import figures_local
import figures_sync
import report
from measure import BenchError, Pending

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(BENCH_DIR)

# Row counts: the big table (import, sync, re-publish), the small one (the
# second memory point and the PouchDB comparison).
FULL = {"rows": 1_000_000, "small_rows": 100_000}
SMOKE = {"rows": 3_000, "small_rows": 1_000}

# Each step: its name, the figures it must produce, and how.
STEPS = [
    ("import", ["raw_ingest_rows_per_s", "import_rows_per_s", "import_ratio", "republish_ops",
                "republish_speedup"], figures_local.import_and_republish),
    ("london", ["london_import_rows_per_s", "london_import_ratio"], figures_local.import_london),
    ("sync", ["sync_rows_per_s", "sync_ratio", "incremental_p50_ms", "incremental_p99_ms",
              "incremental_bytes", "rss_mb_100k", "rss_mb_1m"], figures_sync.sync),
    ("convergence", ["convergence_s"], figures_sync.convergence),
    ("pouchdb", ["pouchdb_docs_per_s"], figure_pouchdb.pouchdb),
]


class Context:
    """What every step gets: the binaries, the work dir, the sizes."""

    def __init__(self, args, sizes):
        self.kongsi = os.path.join(args.bin, "kongsi")
        self.raw_ingest = os.path.join(args.bin, "kongsi_raw_ingest")
        self.work = args.work
        self.shared_data = args.shared_data
        self.smoke = args.smoke
        self.rows = args.rows or sizes["rows"]
        self.small_rows = sizes["small_rows"]
        # The longest wait for a sync or convergence before it counts as failed.
        self.timeout = 300 if args.smoke else 3600
        self.peer_rows = sizes["small_rows"]
        self.source = None  # the node holding the big table, set by the import step


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(SOURCE_DIR, "build-release", "bin"),
                   help="directory holding kongsi and kongsi_raw_ingest")
    p.add_argument("--shared-data", default=os.path.join(SOURCE_DIR, "..", "shared", "data"))
    p.add_argument("--work", help="scratch dir for data and nodes (default: BIN/../bench-work)")
    p.add_argument("--out", default=os.path.join(BENCH_DIR, "results.json"))
    p.add_argument("--smoke", action="store_true", help="small sizes, seconds; fail on any missing figure")
    p.add_argument("--rows", type=int, help="rows of the big table (default 1,000,000; smoke 3,000)")
    p.add_argument("--only", nargs="+", choices=[s[0] for s in STEPS], help="run only these steps")
    p.add_argument("--readme", choices=["auto", "yes", "no"], default="auto",
                   help="write the table into bench/README.md (auto: full runs with the default --out)")
    args = p.parse_args()
    if args.only and "sync" in args.only and "import" not in args.only:
        args.only.append("import")  # the sync sends the table the import made
    args.work = args.work or os.path.join(os.path.dirname(os.path.abspath(args.bin)), "bench-work")
    for tool in ("kongsi", "kongsi_raw_ingest"):
        if not os.access(os.path.join(args.bin, tool), os.X_OK):
            p.error(f"{os.path.join(args.bin, tool)} is missing: build it first (make bench does)")
    return args


def run_steps(ctx, only):
    figures = {key: None for _, keys, _ in STEPS for key in keys}
    notes, failures = {}, []
    for name, keys, step in STEPS:
        if only and name not in only:
            notes[name] = "not run (--only)"
            continue
        start = time.perf_counter()
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        try:
            step(ctx, figures)
        except Pending as e:
            notes[name] = f"pending: {e}"
        except (BenchError, OSError, ValueError, KeyError) as e:
            notes[name] = f"failed: {e}"
            failures.append(f"{name}: {e}")
        else:
            missing = [k for k in keys if not isinstance(figures.get(k), numbers.Number)]
            if missing:
                failures.append(f"{name}: produced no number for {', '.join(missing)}")
        print(f"bench: {name} done in {time.perf_counter() - start:.1f}s", file=sys.stderr, flush=True)
    return figures, notes, failures


def main():
    # On SIGTERM (a test timeout, say) unwind, so every step's `finally`
    # stops the daemons it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = parse_args()
    ctx = Context(args, SMOKE if args.smoke else FULL)
    os.makedirs(ctx.work, exist_ok=True)
    machine = report.machine()
    figures, notes, failures = run_steps(ctx, args.only)
    if not args.smoke and ctx.source:
        shutil.rmtree(ctx.source.data, ignore_errors=True)  # ~1 GB at 1M rows
    # `machine` sits inside `figures` (the object the issue names) and at the
    # top level, where a reader of the file looks first.
    figures["machine"] = machine
    result = {"mode": "smoke" if args.smoke else "full", "rows": ctx.rows,
              "commit": report.git_commit(SOURCE_DIR),
              "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine,
              "figures": figures, "notes": notes}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
        f.write("\n")
    text = report.table(figures, machine, notes)
    print(text)
    print(f"\nbench: wrote {args.out}", file=sys.stderr)
    default_out = os.path.abspath(args.out) == os.path.join(BENCH_DIR, "results.json")
    if args.readme == "yes" or (args.readme == "auto" and not args.smoke and default_out and not args.only):
        header = (f"Latest full run: {result['time']}, commit {result['commit']}, "
                  f"{ctx.rows:,} rows (`make bench`).")
        report.update_readme(os.path.join(BENCH_DIR, "README.md"), text, header)
    for failure in failures:
        print(f"bench: FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
