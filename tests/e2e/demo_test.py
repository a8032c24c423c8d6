#!/usr/bin/env python3
"""`kongsi demo --once` (issue 6): it runs to the end, and the numbers it
prints — rows, rows per organisation, conflicts, the diff between its two
tags — match an independent count of gdp.csv made here with the csv module.
Afterwards no node it started is still running, and its --dir is kept.

Usage: demo_test.py KONGSI_BINARY SHARED_DATA_DIR
"""
import csv
import os
import re
import subprocess
import sys
import tempfile

KONGSI = os.path.abspath(sys.argv[1])
DATA = sys.argv[2]
GDP = os.path.join(DATA, "gdp/data/gdp.csv")
# What the demo does (server/cli_demo.cc): org1 publishes the years before
# 1980, org2 1980-1999, org3 the rest; org1 and org3 both set IDN 2014.
SPLIT = (1980, 2000)
CONFLICT_KEY = ("IDN", "2014")
EDITS = {"org1": "890814755233.2", "org3": "888538201025.3"}


def independent_count():
    per_org = {"org1": 0, "org2": 0, "org3": 0}
    original = None
    with open(GDP, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            year = int(row["Year"])
            per_org["org1" if year < SPLIT[0] else "org2" if year < SPLIT[1] else "org3"] += 1
            if (row["Country Code"], row["Year"]) == CONFLICT_KEY:
                original = row["Value"]
    return per_org, original


def processes_using(path):
    """Live processes whose command line mentions `path`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if path in cmd and int(pid) != os.getpid():
            found.append(f"{pid}: {cmd}")
    return found


def one(pattern, text, what):
    m = re.search(pattern, text, re.M)
    assert m, f"the demo did not print {what} (pattern {pattern!r})"
    return m


def main():
    per_org, original = independent_count()
    with tempfile.TemporaryDirectory(prefix="kongsi-demo-test-") as root:
        work = os.path.join(root, "demo")
        p = subprocess.run([KONGSI, "demo", "--once", "--dir", work, "--shared-data", DATA],
                           capture_output=True, text=True, timeout=540)
        out = p.stdout
        try:
            assert p.returncode == 0, f"kongsi demo exited {p.returncode}: {p.stderr[-3000:]}"
            assert not processes_using(work), f"nodes left running: {processes_using(work)}"
            assert os.path.isdir(os.path.join(work, "org1", "db")), "--dir was not kept"

            rows = int(one(r"dataset gdp: (\d+) rows", out, "the row count").group(1))
            assert rows == sum(per_org.values()), f"rows {rows} != {sum(per_org.values())} in gdp.csv"

            conflicts = int(one(r"^\s+conflicts: (\d+)$", out, "the conflict count").group(1))
            assert conflicts == 1, f"expected the one concurrent edit to be a conflict, got {conflicts}"
            line = one(r"\[IDN,2014\] Value: (\S+) by (org\d) .* won .*kept as a conflict: (\S+) by (org\d)",
                       out, "the conflict").groups()
            winner_value, winner, loser_value, loser = line
            assert {winner, loser} == set(EDITS), f"conflict between {winner} and {loser}"
            assert EDITS[winner] == winner_value and EDITS[loser] == loser_value, line

            # The conflicted row (org3's year) now counts for whoever won.
            want = dict(per_org)
            want["org3"] -= 1
            want[winner] += 1
            for org, n in want.items():
                got = int(one(rf"^\s+{org} \(.*\): (\d+) rows$", out, f"{org}'s rows").group(1))
                assert got == n, f"{org}: printed {got} rows, gdp.csv split gives {n}"

            diff = one(r"~ gdp \[IDN,2014\] Value: (\S+) -> (\S+)", out, "the diff between the tags").groups()
            assert diff == (original, winner_value), f"diff {diff}, expected {original} -> {winner_value}"

            assert "marked it INVALID" in out, "the revoked organisation's write was not shown refused"
            urls = re.findall(r"^\s+org\d \(.*\): (http://127\.0\.0\.1:\d+/) ", out, re.M)
            assert len(set(urls)) == 3, f"expected three console URLs, got {urls}"
        except AssertionError as e:
            print(f"FAIL: {e}\n--- demo output ---\n{out}\n--- stderr ---\n{p.stderr[-3000:]}")
            return 1
    print(f"ok demo: {rows} rows, per organisation {want}, 1 conflict won by {winner}; no node left running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
