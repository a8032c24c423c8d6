"""Deterministic bench inputs.

The generated table is shaped like the London spending files (same columns,
realistic cell sizes) plus a `Transaction ID` column that keys it, the way a
council's ledger export is. The same seed always gives the same bytes, so two
runs, or two machines, measure the same records.
"""
import csv
import json
import os
import random

# Bump when the generated content changes, so cached files are regenerated.
GENERATOR_VERSION = 1
SEED = 7
KEY = "Transaction ID"
HEADER = [KEY, "Payment Date", "Amount", "Organisational Unit", "Beneficiary Name",
          "Company Number", "Charity Number"]
_UNITS = ["Grants to External Organisations", "Housing and Land", "Transport for London",
          "Resources", "Development, Enterprise and Environment",  # quoted in the CSV
          "Communities and Intelligence", "Strategy and Communications",
          "Corporate Management Team"]
_SUFFIXES = ["LTD", "PLC", "COUNCIL", "TRUST", "LLP"]


def _rows(count):
    rnd = random.Random(SEED)
    names = [f"SUPPLIER {i:05d} {_SUFFIXES[i % len(_SUFFIXES)]}" for i in range(5000)]
    for i in range(1, count + 1):
        year = 2013 + i * 10 // count
        month = 1 + (i * 120 // count) % 12
        charity = f"{rnd.randrange(10**6, 10**7)}" if rnd.random() < 0.1 else ""
        yield [str(i), f"{year}-{month:02d}-{1 + rnd.randrange(28):02d}",
               f"{rnd.randrange(100, 10**9) / 100:.2f}", rnd.choice(_UNITS), rnd.choice(names),
               f"{rnd.randrange(10**7):08d}", charity]


def _cached(path, write):
    """Writes `path` once per generator version (atomically: a killed run
    leaves no half file behind)."""
    stamp = path + f".v{GENERATOR_VERSION}"
    if os.path.exists(path) and os.path.exists(stamp):
        return path
    tmp = path + ".tmp"
    write(tmp)
    os.replace(tmp, path)
    open(stamp, "w").close()
    return path


def spending_csv(work, rows):
    """The generated spending table with `rows` rows, in key order."""
    def write(tmp):
        with open(tmp, "w", newline="") as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(HEADER)
            out.writerows(_rows(rows))
    return _cached(os.path.join(work, f"spending-{rows}.csv"), write)


def spending_docs(work, rows):
    """The same rows as PouchDB docs (NDJSON), keyed by transaction ID."""
    def write(tmp):
        with open(tmp, "w") as f:
            for row in _rows(rows):
                doc = dict(zip(HEADER, row))
                doc["_id"] = doc[KEY]
                f.write(json.dumps(doc) + "\n")
    return _cached(os.path.join(work, f"spending-{rows}.ndjson"), write)


def change_csv(rows, n):
    """The n-th incremental edit of the generated table of `rows` rows: one
    row's Amount set to a value below 1.00, which the table never holds
    (and different for every n), as a CSV of the key and that column."""
    row = 1 + (n * 7919) % rows
    return f"{KEY},Amount\n{row},0.{n:04d}\n"


def london_files(shared_data, limit=None):
    """The real London spending files, in name (= date) order."""
    folder = os.path.join(shared_data, "council-spending-data", "london", "processed")
    files = sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".csv"))
    if not files:
        raise FileNotFoundError(f"{folder}: no CSV files")
    return files[:limit] if limit else files
