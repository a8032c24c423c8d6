#!/usr/bin/env python3
"""The local HTTP API driven by curl alone: a real `kongsi serve`, and curl
for publish -> export -> tag -> publish a change -> diff -> as-of export,
plus one request per error class (401, 403, 404, 400, 413 and 405).

Only `init` and `serve` use the kongsi binary; everything else is what any
HTTP client would do. Usage: curl_test.py KONGSI SHARED_DATA
"""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kongsi_cluster import Failure, Node  # noqa: E402

KONGSI, DATA = sys.argv[1], sys.argv[2]
GDP = os.path.join(DATA, "gdp/data/gdp.csv")


class Api:
    def __init__(self, url):
        self.url = url

    def call(self, method, path, token=None, data=None, upload=None, expect=200):
        """curl METHOD url+path; returns the body (JSON decoded when it is)."""
        cmd = ["curl", "--silent", "--show-error", "--max-time", "300", "-X", method,
               "--write-out", "\n%{http_code}", self.url + path]
        if token:
            cmd += ["-H", f"Authorization: Bearer {token}"]
        if data is not None:
            cmd += ["-H", "Content-Type: application/json", "--data-binary", data]
        if upload is not None:
            cmd += ["-H", "Content-Type: text/csv", "--upload-file", upload]
        p = subprocess.run(cmd, capture_output=True, timeout=320)
        if p.returncode != 0:
            raise Failure(f"curl {method} {path}: exit {p.returncode}: {p.stderr.decode(errors='replace')}")
        body, _, code = p.stdout.decode("utf-8").rpartition("\n")
        if int(code) != expect:
            raise Failure(f"{method} {path}: HTTP {code}, expected {expect}: {body[:500]}")
        try:
            return json.loads(body)
        except ValueError:
            return body


def rows(text):
    return sorted(csv.reader(io.StringIO(text)))


def check(what, ok, detail=""):
    if not ok:
        raise Failure(f"{what}: {detail}")
    print(f"ok {what}")


def main():
    with tempfile.TemporaryDirectory(prefix="kongsi-curl-") as tmp:
        node = Node(KONGSI, tmp, "curl")
        try:
            run(node, tmp)
        except Failure as e:
            print(f"FAIL {e}\nlog of kongsi serve:\n{node.log()}")
            return 1
        finally:
            node.stop()
    return 0


def run(node, tmp):
    node.start()
    with open(os.path.join(node.data, "serve.json")) as f:
        serve = json.load(f)
    api = Api(serve["api_url"])
    admin = serve["api_token"]
    check("healthz needs no token", api.call("GET", "/healthz")["status"] == "ok")

    publisher = api.call("POST", "/v1/tokens", admin, json.dumps({"role": "publisher", "name": "p"}), expect=201)["token"]
    viewer = api.call("POST", "/v1/tokens", admin, json.dumps({"role": "viewer", "name": "v"}), expect=201)["token"]
    api.call("POST", "/v1/collections", publisher, json.dumps({"name": "econ"}), expect=201)

    put = "/v1/collections/econ/datasets/gdp?key=Country%20Code,Year&message=first"
    report = api.call("PUT", put, publisher, upload=GDP)
    with open(GDP, encoding="utf-8-sig", newline="") as f:
        original = f.read()
    check("publish reads every row", report["rows_read"] == len(rows(original)) - 1, report)

    exported = api.call("GET", "/v1/collections/econ/datasets/gdp/export", viewer)
    check("export gives the published table back", rows(exported) == rows(original))

    api.call("POST", "/v1/collections/econ/tags", publisher, json.dumps({"name": "v1", "message": "as published"}),
             expect=201)
    lines = original.splitlines(keepends=True)
    head, first = lines[0], lines[1].rstrip("\r\n").split(",")
    first[-1] = "12345"
    changed = os.path.join(tmp, "gdp-changed.csv")
    with open(changed, "w", encoding="utf-8", newline="") as f:
        f.write(head + ",".join(first) + "\n" + "".join(lines[2:]))
    report = api.call("PUT", put.replace("first", "second"), publisher, upload=changed)
    check("publishing one changed cell makes one op", report["ops"] == 1, report)

    diff = api.call("GET", "/v1/collections/econ/diff?from=v1", viewer)
    check("diff from the tag names the one changed cell",
          len(diff["records"]) == 1 and diff["records"][0]["changes"][0]["field"] == "Value"
          and diff["records"][0]["changes"][0]["after_text"] == "12345", diff)

    as_of = api.call("GET", "/v1/collections/econ/datasets/gdp/export?as_of=v1", viewer)
    check("export as of the tag gives the first version", rows(as_of) == rows(original))
    ndjson = api.call("GET", "/v1/collections/econ/datasets/gdp/export?format=ndjson", viewer)
    check("ndjson export has one object per record", len(ndjson.splitlines()) == report["rows_read"])

    # One request per error class; none changes the digest.
    digest = api.call("GET", "/v1/collections/econ/digest", viewer)["digest"]
    err = api.call("GET", "/v1/status", None, expect=401)
    check("no token: 401", err["error"]["code"] == "unauthenticated", err)
    api.call("GET", "/v1/status", "kongsi_0000000000000000_" + "0" * 64, expect=401)
    err = api.call("PUT", put, viewer, upload=changed, expect=403)
    check("viewer publishing: 403", err["error"]["code"] == "permission_denied", err)
    err = api.call("GET", "/v1/collections/nope/datasets/gdp/export", viewer, expect=404)
    check("unknown collection: 404", "nope" in err["error"]["message"], err)
    api.call("GET", "/v1/collections/econ/datasets/nope/export", viewer, expect=404)
    err = api.call("POST", "/v1/collections/econ/tags", publisher, '{"name": ', expect=400)
    check("malformed JSON: 400 naming the position", "line 1, column" in err["error"]["message"], err)
    ragged = os.path.join(tmp, "ragged.csv")
    with open(ragged, "w") as f:
        f.write("Country Name,Country Code,Year,Value\nX,XXX,2000,1\nY,YYY\n")
    err = api.call("PUT", put + "&source=ragged.csv", publisher, upload=ragged, expect=400)
    check("malformed CSV: 400 naming the line", "ragged.csv: line 3" in err["error"]["message"], err)
    big = os.path.join(tmp, "big.json")
    with open(big, "w") as f:
        f.write(" " * (2 << 20))
    err = api.call("POST", "/v1/collections", admin, "@" + big, expect=413)
    check("body over the limit: 413", err["error"]["code"] == "payload_too_large", err)
    api.call("DELETE", "/v1/collections", admin, expect=405)
    check("errors changed nothing", api.call("GET", "/v1/collections/econ/digest", viewer)["digest"] == digest)

    # The CLI, with a node serving the directory, goes through the same API.
    status = node.run("status", json_out=True)
    check("the CLI talks to the running node", status["serving"] is True, status)
    check("openapi document served", "paths" in api.call("GET", "/v1/openapi.json"))

    code = node.stop()
    check("serve stops cleanly on SIGTERM", code == 0, code)
    check("serve.json removed", not os.path.exists(os.path.join(node.data, "serve.json")))


if __name__ == "__main__":
    sys.exit(main())
