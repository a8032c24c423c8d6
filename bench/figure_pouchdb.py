"""Figure 8: the records of the 100k sync replicated by PouchDB between two
local servers (bench/pouchdb/replicate.js), beside Kongsi's rows/s."""
import json
import os
import shutil

import datagen
from measure import Pending, run

POUCHDB_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pouchdb")


def pouchdb(ctx, figures):
    if not shutil.which("node"):
        raise Pending("node (Node.js) is not installed")
    if not os.path.isdir(os.path.join(POUCHDB_DIR, "node_modules")):
        raise Pending("bench/pouchdb/node_modules is missing: `make bench` runs npm ci there")
    docs = datagen.spending_docs(ctx.work, ctx.peer_rows)
    result = json.loads(run(["node", os.path.join(POUCHDB_DIR, "replicate.js"), docs],
                            "PouchDB replication", timeout=3600).stdout)
    figures["pouchdb_docs"] = result["docs"]
    figures["pouchdb_docs_per_s"] = result["docs_per_s"]
    figures["pouchdb_load_s"] = result["load_s"]
    figures["pouchdb_rss_mb_b"] = result["rss_mb_b"]
    figures["pouchdb_version"] = result["pouchdb"]
