#!/usr/bin/env python3
"""A running `kongsi serve` read as a CKAN portal, and its /metrics.

The CKAN client below is written against CKAN's documented Action API
(docs.ckan.org, "API guide" and ckan.logic.action.get) with the Python
standard library only: it sends the token as CKAN clients do (a bare
`Authorization: TOKEN`), reads the {help, success, result|error} envelope,
walks package_list -> package_show -> resource_show and downloads every
resource's url, comparing the rows with `kongsi export` of that dataset.

Then /metrics is parsed as Prometheus text and must move: commits applied
after a publish, peers connected and bytes received after a second node
connects. Usage: ckan_test.py KONGSI SHARED_DATA
"""
import collections
import csv
import io
import json
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kongsi_cluster import Cluster, Failure, wait_until  # noqa: E402

KONGSI, DATA = sys.argv[1], sys.argv[2]
DATASETS = {  # dataset -> (file, key columns)
    "gdp": (os.path.join(DATA, "gdp/data/gdp.csv"), "Country Code,Year"),
    "population": (os.path.join(DATA, "population/data/population.csv"), "Country Code,Year"),
}


def check(what, ok, detail=""):
    if not ok:
        raise Failure(f"{what}: {detail}")
    print(f"ok {what}")


class CkanError(Exception):
    def __init__(self, status, error):
        super().__init__(f"HTTP {status}: {error}")
        self.status, self.type = status, error.get("__type")


class Ckan:
    """What a CKAN client knows: the site URL, an API token, the envelope."""

    def __init__(self, url, token):
        self.url, self.token = url.rstrip("/"), token

    def get(self, url):
        req = urllib.request.Request(url, headers={"Authorization": self.token})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def action(self, name, **params):
        query = urllib.parse.urlencode(params)
        status, body = self.get(f"{self.url}/api/3/action/{name}" + (f"?{query}" if query else ""))
        doc = json.loads(body)
        if not isinstance(doc.get("help"), str) or "success" not in doc:
            raise Failure(f"{name}: not CKAN's envelope: {body[:300]!r}")
        if not doc["success"]:
            raise CkanError(status, doc["error"])
        if status != 200:
            raise Failure(f"{name}: success with HTTP {status}")
        return doc["result"]


def rows(text):
    return collections.Counter(tuple(r) for r in csv.reader(io.StringIO(text, newline="")))


def scrape(api_url, token):
    """Samples of /metrics by "name{labels}", checking the exposition format."""
    req = urllib.request.Request(api_url + "/metrics", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        if not r.headers["Content-Type"].startswith("text/plain; version=0.0.4"):
            raise Failure(f"/metrics Content-Type {r.headers['Content-Type']}")
        text = r.read().decode("utf-8")
    samples, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            if kind == "counter" and not name.endswith("_total"):
                raise Failure(f"counter {name} is not named *_total")
            typed.add(name)
        elif line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            if series.split("{")[0] not in typed:
                raise Failure(f"/metrics: {series} has no # TYPE line")
            samples[series] = float(value)
    return samples


def main():
    with tempfile.TemporaryDirectory(prefix="kongsi-ckan-") as tmp:
        cluster = Cluster(KONGSI, tmp)
        try:
            run(cluster)
        except (Failure, CkanError) as e:
            print(f"FAIL {e}")
            for n in cluster.nodes:
                print(f"log of {n.name}:\n{n.log()}")
            return 1
        finally:
            cluster.close()
    return 0


def run(cluster):
    a = cluster.add("a")
    a.start()
    with open(os.path.join(a.data, "serve.json")) as f:
        api_url = json.load(f)["api_url"]
    viewer = a.run("token", "create", "--role", "viewer", "--name", "ckan").strip()
    before = scrape(api_url, viewer)

    a.run("collection", "create", "econ")
    for dataset, (path, key) in DATASETS.items():
        a.run("publish", path, "--collection", "econ", "--dataset", dataset, "--key", key)
    after = scrape(api_url, viewer)
    check("commits applied move after a publish",
          after["kongsi_commits_applied_total"] > before["kongsi_commits_applied_total"],
          (before["kongsi_commits_applied_total"], after["kongsi_commits_applied_total"]))

    ckan = Ckan(api_url, viewer)
    check("status_show answers", "ckan_version" in ckan.action("status_show"))
    names = ckan.action("package_list")
    check("package_list names the collection", names == ["econ"], names)
    found = ckan.action("package_search", q="population", rows=10)
    check("package_search finds it", found["count"] == 1 and found["results"][0]["name"] == "econ", found)
    pkg = ckan.action("package_show", id="econ")
    check("package_show counts its resources", pkg["num_resources"] == len(DATASETS) == len(pkg["resources"]),
          pkg["num_resources"])
    for res in pkg["resources"]:
        shown = ckan.action("resource_show", id=res["id"])
        check(f"resource_show {res['name']} is the package's resource", shown == res, shown)
        check(f"{res['name']} is a CSV of this package", res["format"] == "CSV" and res["package_id"] == pkg["id"])
        status, body = ckan.get(res["url"])
        check(f"{res['name']}'s url downloads", status == 200, status)
        exported = a.run("export", "--collection", "econ", "--dataset", res["name"])
        got, want = rows(body.decode("utf-8")), rows(exported)
        check(f"{res['name']}: the download has the rows of `kongsi export` ({sum(want.values())})",
              got == want, f"{sum((want - got).values())} missing, {sum((got - want).values())} extra")
    try:
        ckan.action("package_show", id="no-such-package")
        raise Failure("package_show of an unknown id succeeded")
    except CkanError as e:
        check("an unknown package is CKAN's 404 Not Found Error", (e.status, e.type) == (404, "Not Found Error"))
    try:
        Ckan(api_url, "kongsi_0_0").action("package_list")
        raise Failure("a wrong token was accepted")
    except CkanError as e:
        check("a wrong token is CKAN's 403 Authorization Error",
              (e.status, e.type) == (403, "Authorization Error"))

    # A second node connects: peers connected and bytes received move.
    b = cluster.add("b")
    b.start()
    b.peer(a)
    a.peer(b)
    series = f'kongsi_peer_received_bytes_total{{peer="{b.node_id}"'

    def b_connected():
        m = scrape(api_url, viewer)
        received = [v for k, v in m.items() if k.startswith(series)]
        return m.get("kongsi_peers_connected") == 1 and received and received[0] > 0

    wait_until("a's /metrics to show b connected and bytes received from it", b_connected, timeout=60)
    check("peers connected and bytes received move after a peer connects", True)


if __name__ == "__main__":
    sys.exit(main())
