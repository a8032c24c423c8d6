#!/usr/bin/env python3
"""Round-trip real tables from ../shared/data through `kongsi publish` and
`kongsi export`, and compare cell by cell with what Python's csv module reads
from the original (after the declared encoding and delimiter).

Also checks that re-publishing an unchanged file makes no ops, and that one
changed cell makes exactly one op. Exits non-zero on the first mismatch.
"""
import collections
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

KONGSI = sys.argv[1]
DATA = sys.argv[2]

CASES = [
    # (name, path, key, delimiter, encoding)
    ("gdp", "gdp/data/gdp.csv", "Country Code,Year", ",", None),
    ("population", "population/data/population.csv", "Country Code,Year", ",", None),
    ("madrid", "fiscal-data-package-demos/madrid-municipal-gastos/data/gastos_v40_2012-2015.csv",
     "AÑO,CENTRO,SECCION,PROGRAMA,ECONOMICO", ",", None),
    ("macedonia", "fiscal-data-package-demos/openspending-macedonia/MFBudzetIRebalansNaRMmk-MK.csv",
     None, ";", None),
    ("london", "council-spending-data/london/processed/2013-P01.csv", None, ",", None),
]


def run(args, data_dir, check=True):
    p = subprocess.run([KONGSI, "--data", data_dir] + args, capture_output=True)
    if check and p.returncode != 0:
        raise SystemExit(f"FAIL: kongsi {' '.join(args)} exited {p.returncode}: {p.stderr.decode()}")
    return p


def python_rows(path, delimiter, encoding):
    with open(path, encoding=encoding or "utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=delimiter))
    header, body = rows[0], rows[1:]
    # Blank rows (every cell empty) are skipped by Kongsi, as Frictionless does.
    body = [r for r in body if any(c != "" for c in r)]
    return header, body


def main():
    failures = 0
    with tempfile.TemporaryDirectory(prefix="kongsi-roundtrip-") as tmp:
        data_dir = os.path.join(tmp, "node")
        run(["init", "--name", "roundtrip"], data_dir)
        run(["collection", "create", "rt"], data_dir)
        for name, rel, key, delim, enc in CASES:
            path = os.path.join(DATA, rel)
            args = ["publish", path, "--collection", "rt", "--dataset", name, "--delimiter", delim]
            if key:
                args += ["--key", key]
            if enc:
                args += ["--encoding", enc]
            run(args, data_dir)
            out = run(["export", "--collection", "rt", "--dataset", name], data_dir).stdout.decode("utf-8")
            exported = list(csv.reader(io.StringIO(out, newline="")))
            header, body = python_rows(path, delim, enc)
            if exported[0] != header:
                print(f"FAIL {name}: header {exported[0][:5]}... != {header[:5]}...")
                failures += 1
                continue
            want = collections.Counter(tuple(r) for r in body)
            got = collections.Counter(tuple(r) for r in exported[1:])
            if want != got:
                missing = list((want - got).elements())[:3]
                extra = list((got - want).elements())[:3]
                print(f"FAIL {name}: {sum((want-got).values())} rows missing e.g. {missing}; "
                      f"{sum((got-want).values())} extra e.g. {extra}")
                failures += 1
                continue
            # Re-publishing the identical file makes no ops: compared row by
            # row (--recheck), and by default not compared at all.
            again = json.loads(run(["--json"] + args + ["--recheck"], data_dir).stdout)
            if again.get("ops") != 0 or again.get("unchanged"):
                print(f"FAIL {name}: re-publish with --recheck made {again.get('ops')} ops "
                      f"(unchanged: {again.get('unchanged')}), expected 0 ops, compared")
                failures += 1
                continue
            skipped = json.loads(run(["--json"] + args, data_dir).stdout)
            if skipped.get("ops") != 0 or not skipped.get("unchanged"):
                print(f"FAIL {name}: re-publish made {skipped.get('ops')} ops "
                      f"(unchanged: {skipped.get('unchanged')}), expected 0, skipped")
                failures += 1
                continue
            print(f"ok {name}: {len(body)} rows round-trip; re-publish made 0 ops, compared and skipped")

        # One changed cell makes one op.
        header, body = python_rows(os.path.join(DATA, CASES[0][1]), ",", None)
        body[5][3] = "12345"
        edited = os.path.join(tmp, "gdp-edited.csv")
        with open(edited, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(body)
        res = json.loads(run(["--json", "publish", edited, "--collection", "rt", "--dataset", "gdp",
                              "--key", "Country Code,Year"], data_dir).stdout)
        if res.get("ops") != 1:
            print(f"FAIL one-cell edit made {res.get('ops')} ops, expected 1")
            failures += 1
        else:
            print("ok one changed cell made 1 op")
    print(f"{len(CASES) + 1 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
