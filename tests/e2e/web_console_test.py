#!/usr/bin/env python3
"""The web console in a real browser (issue 6): two `kongsi serve` nodes,
alpha and beta, share a collection in which both publish part of the GDP
table; tests/web/console.spec.mjs then drives Debian's headless Chromium
through alpha's console (playwright-core): sign in, open the table, see
cells of the two organisations marked differently with a legend naming
both, grant beta a role and see it in the access list. Afterwards the CLI
checks that the grant really happened and reached beta.

Installs playwright-core into tests/web/node_modules with `npm ci` when it
is missing. Fails (never skips) without chromium or npm: run
deploy/install-deps.sh. The screenshot goes to test-artifacts/ under the
working directory (the build dir under ctest).

Usage: web_console_test.py KONGSI_BINARY SHARED_DATA_DIR
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kongsi_cluster import Cluster, Failure, wait_until  # noqa: E402

KONGSI = sys.argv[1]
DATA = sys.argv[2]
GDP = os.path.join(DATA, "gdp/data/gdp.csv")
WEB_TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web")
CHROMIUM = os.environ.get("KONGSI_CHROMIUM", "/usr/bin/chromium")
SEARCH = "Malaysia"  # a country both halves of the table have rows for
SPLIT_YEAR = 1990    # alpha publishes the years up to it, beta the rest


def require_tools():
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (Debian package chromium)")
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            missing.append(f"{tool} (Debian packages nodejs npm)")
    if missing:
        raise Failure("missing: " + ", ".join(missing) + "; run deploy/install-deps.sh")


def install_playwright():
    if os.path.isdir(os.path.join(WEB_TESTS, "node_modules", "playwright-core")):
        return
    print("installing playwright-core into tests/web/node_modules (npm ci)", flush=True)
    p = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=WEB_TESTS,
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise Failure(f"npm ci in tests/web exited {p.returncode}:\n{p.stdout}\n{p.stderr}")


def split_gdp(root):
    """Two CSVs of the GDP table: years up to SPLIT_YEAR, and after."""
    with open(GDP, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    year = header.index("Year")
    parts = {}
    for name, keep in (("early", lambda y: y <= SPLIT_YEAR), ("late", lambda y: y > SPLIT_YEAR)):
        path = os.path.join(root, f"gdp-{name}.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(r for r in body if keep(int(r[year])))
        parts[name] = path
    return parts["early"], parts["late"]


def api_url(node):
    with open(os.path.join(node.data, "serve.json")) as f:
        return json.load(f)["api_url"]


def role_of(node, coll, node_id):
    for m in node.run("acl", "list", coll, json_out=True):
        if m["node_id"] == node_id:
            return m["role"]
    return None


def main():
    require_tools()
    install_playwright()
    artifacts = os.path.join(os.getcwd(), "test-artifacts")
    os.makedirs(artifacts, exist_ok=True)
    screenshot = os.path.join(artifacts, "web-console.png")
    if os.path.exists(screenshot):
        os.unlink(screenshot)
    with tempfile.TemporaryDirectory(prefix="kongsi-web-") as root:
        cl = Cluster(KONGSI, root)
        try:
            alpha, beta = cl.add("Alpha Budget Watch").start(), cl.add("Beta Open Data").start()
            alpha.peer(beta)
            beta.peer(alpha, auto_join=True)
            early, late = split_gdp(root)
            alpha.run("collection", "create", "coalition")
            alpha.run("publish", early, "--collection", "coalition", "--dataset", "gdp",
                      "--key", "Country Code,Year")
            alpha.run("acl", "grant", "coalition", beta.node_id, "writer")
            wait_until("beta to receive the coalition", lambda: beta.holds("coalition"), timeout=90)
            cl.wait_converged("coalition", [alpha, beta], timeout=120)
            beta.run("publish", late, "--collection", "coalition", "--dataset", "gdp",
                     "--key", "Country Code,Year")
            cl.wait_converged("coalition", [alpha, beta], timeout=120)
            token = alpha.run("token", "create", "--role", "admin", "--name", "web-console-test",
                              json_out=True)["token"]

            env = dict(os.environ,
                       KONGSI_URL=api_url(alpha), KONGSI_TOKEN=token, KONGSI_CHROMIUM=CHROMIUM,
                       KONGSI_COLLECTION="coalition", KONGSI_DATASET="gdp", KONGSI_SEARCH=SEARCH,
                       KONGSI_ORGS=json.dumps({alpha.node_id: alpha.name, beta.node_id: beta.name}),
                       KONGSI_GRANTEE=beta.node_id, KONGSI_SCREENSHOT=screenshot)
            p = subprocess.run(["node", os.path.join(WEB_TESTS, "console.spec.mjs")], env=env,
                               cwd=WEB_TESTS, capture_output=True, text=True, timeout=300)
            sys.stdout.write(p.stdout)
            if p.returncode != 0:
                raise Failure(f"console.spec.mjs exited {p.returncode}:\n{p.stderr}\n"
                              f"alpha's log:\n{alpha.log()}")

            # The grant the browser made is a real, replicated ACL change.
            if role_of(alpha, "coalition", beta.node_id) != "admin":
                raise Failure("alpha's ACL does not show beta as admin after the console's grant")
            wait_until("beta to learn it is admin", lambda: role_of(beta, "coalition", beta.node_id) == "admin",
                       timeout=60)
            if not os.path.exists(screenshot) or os.path.getsize(screenshot) < 10_000:
                raise Failure(f"no screenshot at {screenshot}")
            print(f"ok web console: screenshot {screenshot}")
        finally:
            cl.close()


if __name__ == "__main__":
    try:
        main()
    except (Failure, subprocess.TimeoutExpired) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
