"""Figures that need running nodes (`kongsi serve` on 127.0.0.1, TLS):
3 (initial sync), 4 (incremental changes), 6 (memory during the sync) and
7 (convergence of a ring after a partition heals)."""
import concurrent.futures
import os
import shutil
import statistics
import subprocess
import time

import datagen
from figures_local import COLLECTION, KongsiNode
from measure import BenchError, Pending, peak_rss_mb
from serve_nodes import Api, Cluster, existing_node, Failure, wait_until, wire_bytes

DATASET = "spending"


def require_serve(ctx):
    p = subprocess.run([ctx.kongsi, "serve", "--help"], capture_output=True, timeout=60)
    if p.returncode != 0:
        raise Pending("`kongsi serve` does not run in this build yet")


def _wait(what, predicate, timeout, interval):
    try:
        return wait_until(what, predicate, timeout=timeout, interval=interval)
    except Failure as e:
        raise BenchError(str(e))


def _fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def _connect(api_x, x, api_y, y, auto_join=True):
    """Peers x and y both ways and waits until their link is up."""
    api_x.add_peer(y, auto_join)
    api_y.add_peer(x, auto_join)
    _wait(f"{x.name} and {y.name} to connect", lambda: api_x.connected(y) and api_y.connected(x), 60, 0.05)


def _incremental(ctx, rows, a, b, api_a, api_b, base):
    """Figure 4: one row changed on A at a time; time from the request to A
    until B holds the commit, and bytes on the peer links per change."""
    changes = 20 if ctx.smoke else 200
    before = wire_bytes(a, b)
    latencies, publishes = [], []
    for n in range(changes):
        start = time.perf_counter()
        api_a.publish_csv(COLLECTION, DATASET, datagen.KEY, datagen.change_csv(rows, n))
        publishes.append((time.perf_counter() - start) * 1000)
        want = base + n + 1
        _wait(f"change {n} to reach B", lambda: api_b.version_total(COLLECTION) >= want, 30, 0.0005)
        latencies.append((time.perf_counter() - start) * 1000)
    moved = wire_bytes(a, b) - before
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    # The links also carry keep-alive pings while this runs; they are counted.
    return {"incremental_changes": changes, "incremental_p50_ms": cuts[49], "incremental_p99_ms": cuts[98],
            "incremental_bytes": moved / changes,
            # How much of the latency is A's publish request itself.
            "incremental_publish_p50_ms": statistics.median(publishes)}


def _initial_sync(ctx, source, rows, name, incremental):
    """Figure 3 (and 6 at `rows`): the collection of `source` to a fresh B."""
    cluster = Cluster(ctx.kongsi, _fresh(os.path.join(ctx.work, f"sync-{name}")))
    a = existing_node(ctx.kongsi, source.data, f"{name}-a")
    cluster.nodes.append(a)
    b = cluster.add(f"{name}-b")
    apis = []
    try:
        a.start()
        b.start()
        api_a, api_b = Api(a), Api(b)
        apis += [api_a, api_b]
        _connect(api_a, a, api_b, b)
        want = api_a.version_total(COLLECTION)
        start = time.perf_counter()
        api_a.grant(COLLECTION, b.node_id, "reader")  # B auto-joins the invitation
        _wait(f"B to hold all {want} commits", lambda: api_b.version_total(COLLECTION) >= want,
              ctx.timeout, 0.05)
        seconds = time.perf_counter() - start
        result = {"seconds": seconds, "rows_per_s": rows / seconds,
                  "rss_mb_a": peak_rss_mb(a.proc.pid), "rss_mb_b": peak_rss_mb(b.proc.pid)}
        if api_a.digest(COLLECTION) != api_b.digest(COLLECTION):
            raise BenchError(f"sync {name}: B's digest differs from A's after the sync")
        if incremental:
            result.update(_incremental(ctx, rows, a, b, api_a, api_b, want))
        return result
    finally:
        for api in apis:
            api.close()
        cluster.close()


def sync(ctx, figures):
    require_serve(ctx)
    if ctx.source is None:
        raise BenchError("the import step did not leave a node holding the table")
    small_csv = datagen.spending_csv(ctx.work, ctx.small_rows)
    small = KongsiNode(ctx.kongsi, os.path.join(ctx.work, "node-small"), "Bench small")
    small.cli("collection", "create", COLLECTION)
    small.publish(small_csv, DATASET, datagen.KEY)
    low = _initial_sync(ctx, small, ctx.small_rows, "small", incremental=False)
    shutil.rmtree(small.data, ignore_errors=True)
    # Recorded before the big sync runs, so that they survive its failure.
    figures["sync_rows_small"] = ctx.small_rows
    figures["sync_rows_per_s_100k"] = low["rows_per_s"]  # beside PouchDB (figure 8)
    figures["rss_mb_100k"] = max(low["rss_mb_a"], low["rss_mb_b"])
    figures["rss_mb_small_a"], figures["rss_mb_small_b"] = low["rss_mb_a"], low["rss_mb_b"]
    high = _initial_sync(ctx, ctx.source, ctx.rows, "big", incremental=True)
    raw = figures["raw_ingest_rows_per_s"]
    figures["sync_s"] = high["seconds"]
    figures["sync_rows_per_s"] = high["rows_per_s"]
    figures["sync_ratio"] = high["rows_per_s"] / raw if raw else None
    figures["rss_mb_1m"] = max(high["rss_mb_a"], high["rss_mb_b"])
    figures["rss_mb_big_a"], figures["rss_mb_big_b"] = high["rss_mb_a"], high["rss_mb_b"]
    for key in ("incremental_changes", "incremental_p50_ms", "incremental_p99_ms", "incremental_bytes",
                "incremental_publish_p50_ms"):
        if key in high:
            figures[key] = high[key]


def convergence(ctx, figures):
    """Figure 7: a ring of nodes, cut in two; every node writes the same keys
    while cut; the cut links are restored, and the clock runs until every
    node shows the same digest."""
    require_serve(ctx)
    size, ops = (4, 400) if ctx.smoke else (10, 10_000)
    per_node = ops // size
    cluster = Cluster(ctx.kongsi, _fresh(os.path.join(ctx.work, "ring")))
    apis = []
    try:
        nodes = [cluster.add(f"ring-{i}").start() for i in range(size)]
        apis += [Api(n) for n in nodes]
        for i in range(size):
            j = (i + 1) % size
            _connect(apis[i], nodes[i], apis[j], nodes[j])
        first = apis[0]
        first.call("POST", "/v1/collections", body=f'{{"name": "{COLLECTION}"}}')
        seed = "id,org,value\n" + "".join(f"{k},seed,0\n" for k in range(per_node))
        first.publish_csv(COLLECTION, "ring", "id", seed)
        for n in nodes[1:]:
            first.grant(COLLECTION, n.node_id, "writer")

        def agreed():
            """The digest every node shows, or None while they differ."""
            ds = {api.digest(COLLECTION) for api in apis}
            return ds.pop() if len(ds) == 1 else None

        _wait("the ring to converge before the cut", agreed, ctx.timeout, 0.1)
        half = size // 2
        cut = [(half - 1, half), (size - 1, 0)]
        for i, j in cut:
            apis[i].remove_peer(nodes[j])
            apis[j].remove_peer(nodes[i])
        _wait("the cut links to close", lambda: not any(apis[i].connected(nodes[j]) for i, j in cut), 60, 0.05)

        def write(i):  # every node sets every key: all writes are concurrent
            text = "id,org,value\n" + "".join(f"{k},{nodes[i].name},{i * ops + k}\n" for k in range(per_node))
            api = Api(nodes[i])  # one connection per thread
            try:
                api.publish_csv(COLLECTION, "ring", "id", text)
            finally:
                api.close()

        with concurrent.futures.ThreadPoolExecutor(size) as pool:
            list(pool.map(write, range(size)))
        start = time.perf_counter()
        for i, j in cut:
            apis[i].add_peer(nodes[j])
            apis[j].add_peer(nodes[i])
        # Also when the healed links are up: how much of the time is reconnecting.
        # Checked before the digests in each round: ten digest requests to
        # busy nodes take a while, and the link time must not include them.
        reconnect_s = None
        while True:
            if reconnect_s is None and all(apis[i].connected(nodes[j]) for i, j in cut):
                reconnect_s = time.perf_counter() - start
            if agreed():
                break
            if time.perf_counter() - start > ctx.timeout:
                raise BenchError(f"the ring's digests still differ {ctx.timeout} s after the heal")
            time.sleep(0.02)
        figures["convergence_s"] = time.perf_counter() - start
        figures["convergence_reconnect_s"] = reconnect_s if reconnect_s is not None else figures["convergence_s"]
        figures["convergence_nodes"] = size
        figures["convergence_ops"] = per_node * size
    finally:
        for api in apis:
            api.close()
        cluster.close()
