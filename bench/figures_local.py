"""Figures that need one node and no network: 1 (raw ingest, the limit),
2 (import), 5 (re-publish). Each is measured in the same run as its limit."""
import json
import os
import shutil

import datagen
from measure import BenchError, run

COLLECTION = "bench"


class KongsiNode:
    """A data dir driven through the `kongsi` CLI."""

    def __init__(self, kongsi, data, name):
        self.kongsi = kongsi
        self.data = data
        shutil.rmtree(data, ignore_errors=True)
        self.cli("init", "--name", name)
        self.node_id = self.cli("id").stdout.strip().split()[-1]

    def cli(self, *args, what=None, timeout=3600):
        return run([self.kongsi, "--data", self.data, *args], what or f"kongsi {args[0]}", timeout)

    def cli_json(self, *args, what=None):
        m = self.cli("--json", *args, what=what)
        try:
            return m, json.loads(m.stdout)
        except ValueError as e:
            raise BenchError(f"{what or args[0]}: output is not JSON ({e}): {m.stdout[:200]!r}")

    def publish(self, path, dataset, key=None, *extra):
        args = ["publish", path, "--collection", COLLECTION, "--dataset", dataset, *extra]
        if key:
            args += ["--key", key]
        return self.cli_json(*args, what=f"publish {os.path.basename(path)}")


def raw_ingest(ctx, name, files, key=None):
    """Figure 1 for `files`: the same records written straight to RocksDB."""
    db = os.path.join(ctx.work, f"raw-{name}")
    shutil.rmtree(db, ignore_errors=True)
    cmd = [ctx.raw_ingest, "--db", db, *(["--key", key] if key else []), *files]
    result = json.loads(run(cmd, f"raw ingest ({name})").stdout)
    shutil.rmtree(db, ignore_errors=True)
    return result


def import_and_republish(ctx, figures):
    """Figures 1, 2 and 5 on the generated table. Leaves the node that holds
    it in ctx.source for the sync figures."""
    csv_path = datagen.spending_csv(ctx.work, ctx.rows)
    raw = raw_ingest(ctx, "spending", [csv_path], datagen.KEY)
    node = KongsiNode(ctx.kongsi, os.path.join(ctx.work, "node-a"), "Bench A")
    node.cli("collection", "create", COLLECTION)
    first, report = node.publish(csv_path, "spending", datagen.KEY)
    if report["rows_read"] != ctx.rows or report["rows_changed"] != ctx.rows:
        raise BenchError(f"import: read {report['rows_read']} rows, changed {report['rows_changed']}; "
                         f"expected {ctx.rows} of each")
    # Figure 5 twice: as a user re-publishes (the file's hash matches the
    # last publish's and the collection has no commit since, so no row is
    # read: node/publish_mark.h), and with --recheck, which compares every
    # row against the stored records, as after any change to the collection.
    again, report2 = node.publish(csv_path, "spending", datagen.KEY)
    if not report2.get("unchanged"):
        raise BenchError("re-publish: the unchanged file was compared row by row, not recognised")
    rechecked, report3 = node.publish(csv_path, "spending", datagen.KEY, "--recheck")
    ctx.source = node

    figures["raw_ingest_rows_per_s"] = raw["rows_per_s"]
    figures["raw_ingest_bytes"] = raw["bytes"]
    figures["raw_parse_s"] = raw["parse_seconds"]
    figures["import_rows"] = ctx.rows
    figures["import_s"] = first.seconds
    figures["import_rows_per_s"] = ctx.rows / first.seconds
    figures["import_ratio"] = figures["import_rows_per_s"] / raw["rows_per_s"]
    figures["import_commits"] = report["commits"]
    figures["import_rss_mb"] = first.rss_mb
    figures["republish_s"] = again.seconds
    figures["republish_ops"] = report2["ops"]
    figures["republish_speedup"] = first.seconds / again.seconds
    figures["republish_rss_mb"] = again.rss_mb
    figures["republish_recheck_s"] = rechecked.seconds
    figures["republish_recheck_ops"] = report3["ops"]
    figures["republish_recheck_speedup"] = first.seconds / rechecked.seconds
    figures["republish_recheck_rss_mb"] = rechecked.rss_mb


def import_london(ctx, figures):
    """Figures 1 and 2 on the real London spending files: each file is one
    `kongsi publish` into one dataset, as a council's monthly release is."""
    files = datagen.london_files(ctx.shared_data, limit=3 if ctx.smoke else None)
    raw = raw_ingest(ctx, "london", files)
    node = KongsiNode(ctx.kongsi, os.path.join(ctx.work, "node-london"), "Bench London")
    node.cli("collection", "create", COLLECTION)
    seconds = 0.0
    rows = 0
    rss = 0.0
    for path in files:
        m, report = node.publish(path, "london")
        seconds += m.seconds
        rows += report["rows_read"]
        rss = max(rss, m.rss_mb)
    if rows != raw["rows"]:
        raise BenchError(f"London import read {rows} rows, raw ingest {raw['rows']}")
    shutil.rmtree(node.data, ignore_errors=True)
    figures["london_files"] = len(files)
    figures["london_rows"] = rows
    figures["london_raw_rows_per_s"] = raw["rows_per_s"]
    figures["london_import_rows_per_s"] = rows / seconds
    figures["london_import_ratio"] = figures["london_import_rows_per_s"] / raw["rows_per_s"]
    figures["london_import_rss_mb"] = rss
