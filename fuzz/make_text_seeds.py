#!/usr/bin/env python3
"""Cuts the text seeds of the fuzzers from the real files of ../shared/data.

Usage: python3 fuzz/make_text_seeds.py [SHARED_DATA]   (default ../shared/data)

Writes, under fuzz/:
  corpus/fuzz_csv_reader/    option byte (fuzz_csv_reader.cc) + the head of
                             a real CSV, bytes as published (BOM, CRLF, ';',
                             Latin-1, invalid UTF-8, empty rows)
  fixtures/data_package/     the head of every data file a real
                             datapackage.json names, under that path
  corpus/fuzz_data_package/  the real datapackage.json files (<= 8 KB)
  corpus/fuzz_http_router/   requests to real routes, and malformed ones
The protocol seeds come from make_seeds.cc instead (README.md).
"""
import json
import pathlib
import sys
import zipfile

FUZZ = pathlib.Path(__file__).resolve().parent
DATA = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else FUZZ.parent.parent / "shared" / "data")
MAX_SEED = 8192

# fuzz_csv_reader's option byte: delimiter | encoding << 3 | strict << 6 | tiny << 7.
COMMA, SEMI, TAB = 0, 1, 2
UTF8, CP850, LATIN1, WIN1252 = 0, 1, 2, 3


def option(delimiter, encoding, strict=False, tiny=False):
    return bytes([delimiter | encoding << 3 | strict << 6 | tiny << 7])


def head(data, max_bytes=2048):
    """Whole lines (any line ending kept) up to max_bytes."""
    out = b""
    for line in data.splitlines(keepends=True):
        if len(out) + len(line) > max_bytes and out:
            break
        out += line
    return out


def lines_matching(data, pred, context=1, limit=3):
    """The header, then up to `limit` lines for which pred holds."""
    lines = data.splitlines(keepends=True)
    picked = [lines[0]]
    for line in lines[1:]:
        if pred(line):
            picked.append(line)
            if len(picked) > limit:
                break
    return b"".join(picked)


def write(rel, data):
    path = FUZZ / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    assert len(data) <= MAX_SEED or rel.startswith("fixtures"), (rel, len(data))
    path.write_bytes(data)


def csv_seeds():
    fiscal = DATA / "fiscal-data-package-demos"
    house = (DATA / "constituency-returns/1976-2018-house.csv").read_bytes()
    macedonia = (fiscal / "openspending-macedonia/MFBudzetIRebalansNaRMmk-MK.csv").read_bytes()
    mexico = zipfile.ZipFile(fiscal / "Mexico-Pre-Pilot/transferencias_entidades_fed.csv.zip")
    mexico_csv = mexico.open("transferencias_entidades_fed.csv").read(4096)
    seeds = {
        "gdp": option(COMMA, UTF8) + head((DATA / "gdp/data/gdp.csv").read_bytes()),
        "gdp-tiny-chunks": option(COMMA, UTF8, tiny=True)
        + head((DATA / "gdp/data/gdp.csv").read_bytes(), 300),
        "population-crlf": option(COMMA, UTF8) + head((DATA / "population/data/population.csv").read_bytes()),
        "macedonia-bom-semicolon": option(SEMI, UTF8) + head(macedonia, 3000),
        "macedonia-empty-rows": option(SEMI, UTF8)
        + lines_matching(macedonia, lambda l: l.strip(b";\r\n") == b"" or b";;" in l, limit=6),
        "mexico-latin1": option(COMMA, LATIN1) + head(mexico_csv),
        "mexico-cp850": option(COMMA, CP850, tiny=True) + head(mexico_csv, 600),
        "mexico-as-utf8": option(COMMA, UTF8) + head(mexico_csv, 1200),
        "house-invalid-utf8": option(COMMA, UTF8)
        + lines_matching(house, lambda l: any(b > 0x7F for b in l)),
        "house-windows-1252": option(COMMA, WIN1252)
        + lines_matching(house, lambda l: any(b > 0x7F for b in l)),
        "eu-euro-sign": option(COMMA, UTF8, tiny=True)
        + head((fiscal / "eu-allocations-per-ms-2014-2020/data/Total_EU_Allocations_per_MS_for_2014-2020.csv").read_bytes(), 400),
        "madrid": option(COMMA, UTF8) + head((fiscal / "madrid-municipal-gastos/data/gastos_v40_2012-2015.csv").read_bytes()),
        "country-codes-wide": option(COMMA, UTF8, strict=True)
        + head((DATA / "country-codes/data/country-codes.csv").read_bytes(), 4000),
        "london-spending": option(COMMA, UTF8)
        + head((DATA / "council-spending-data/london/processed/2013-P07.csv").read_bytes()),
        "kawalpemilu-tab-misread": option(TAB, UTF8)
        + head((DATA / "kawalpemilu2014/extract/lokasi3.csv").read_bytes(), 800),
    }
    for name, data in seeds.items():
        write(f"corpus/fuzz_csv_reader/{name}", data)


def data_package_seeds():
    for descriptor in sorted(DATA.rglob("datapackage.json")):
        text = descriptor.read_bytes()
        doc = json.loads(text)
        if len(text) > MAX_SEED:  # country-codes: keep it whole, minified
            text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
        if len(text) > MAX_SEED:
            continue
        for resource in doc.get("resources", []):
            path = resource.get("path")
            if isinstance(path, str) and "://" not in path and (descriptor.parent / path).is_file():
                write(f"fixtures/data_package/{path}", head((descriptor.parent / path).read_bytes(), 3000))
        name = descriptor.parent.relative_to(DATA).as_posix().replace("/", "-")
        write(f"corpus/fuzz_data_package/{name}", text)


def request(method, target, body=b"", headers=()):
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1:8080", *headers]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def http_seeds():
    admin, publisher, viewer = ("X-Fuzz-Role: admin",), ("X-Fuzz-Role: publisher",), ("X-Fuzz-Role: viewer",)
    csv = head((DATA / "gdp/data/gdp.csv").read_bytes(), 400)
    schema = '{"fields":[{"name":"Country Code","type":"string"},{"name":"Year","type":"integer"}]}'
    seeds = {
        "healthz": request("GET", "/healthz"),
        "openapi": request("GET", "/v1/openapi.json"),
        "collections": request("GET", "/v1/collections", headers=viewer),
        "collections-no-token": request("GET", "/v1/collections"),
        "collections-bad-token": request("GET", "/v1/collections", headers=("Authorization: Bearer kongsi_0123456789abcdef_x",)),
        "collection": request("GET", "/v1/collections/shared-gdp", headers=viewer),
        "datasets": request("GET", "/v1/collections/local/datasets", headers=viewer),
        "rows": request("GET", "/v1/collections/local/datasets/gdp/rows?limit=5&offset=1&sort=Year", headers=viewer),
        "export-csv": request("GET", "/v1/collections/shared-gdp/datasets/gdp/export?format=csv", headers=viewer),
        "export-ndjson": request("GET", "/v1/collections/local/datasets/gdp/export?format=ndjson&provenance=true", headers=viewer),
        "log": request("GET", "/v1/collections/shared-gdp/log?limit=3", headers=viewer),
        "diff": request("GET", "/v1/collections/shared-gdp/diff?from=base", headers=viewer),
        "history": request("GET", "/v1/collections/local/datasets/gdp/records/AFG,2001/history", headers=viewer),
        "conflicts": request("GET", "/v1/collections/shared-gdp/conflicts", headers=viewer),
        "digest": request("GET", "/v1/collections/local/digest", headers=viewer),
        "tags": request("GET", "/v1/collections/shared-gdp/tags", headers=viewer),
        "acl": request("GET", "/v1/collections/shared-gdp/acl", headers=viewer),
        "acl-log": request("GET", "/v1/collections/shared-gdp/acl/log", headers=viewer),
        "members": request("GET", "/v1/collections/shared-gdp/members", headers=viewer),
        "datapackage-download": request("GET", "/v1/collections/local/datapackage", headers=viewer),
        "node": request("GET", "/v1/node", headers=viewer),
        "status": request("GET", "/v1/status", headers=viewer),
        "invites": request("GET", "/v1/invites", headers=viewer),
        "peers": request("GET", "/v1/peers", headers=viewer),
        "tokens": request("GET", "/v1/tokens", headers=admin),
        "metrics-public": request("GET", "/metrics", headers=("X-Fuzz-Public: 1",)),
        "ckan-package-list": request("GET", "/api/3/action/package_list", headers=("X-Fuzz-Public: 1",)),
        "ckan-package-show": request("POST", "/api/3/action/package_show", b'{"id":"local"}', viewer),
        "ckan-download": request("GET", "/dataset/local/resource/gdp/download/gdp.csv", headers=viewer),
        "web-console": request("GET", "/"),
        "create-collection": request("POST", "/v1/collections", b'{"name":"budget","description":"2015"}', publisher),
        "create-collection-bad-json": request("POST", "/v1/collections", b'{"name":"budget",', publisher),
        "tag": request("POST", "/v1/collections/local/tags", b'{"name":"v2"}', publisher),
        "grant": request("POST", "/v1/collections/shared-gdp/acl",
                         b'{"node_id":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","role":"reader"}', admin),
        "revoke": request("DELETE", "/v1/collections/shared-gdp/acl/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", headers=admin),
        "create-token": request("POST", "/v1/tokens", b'{"role":"viewer","name":"ci"}', admin),
        "revoke-token": request("DELETE", "/v1/tokens/ci", headers=admin),
        "add-peer": request("POST", "/v1/peers", b'{"url":"wss://127.0.0.1:7443","node_id":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}', admin),
        "join": request("POST", "/v1/invites/abcdef/join", headers=admin),
        "publish-csv": request("PUT", "/v1/collections/local/datasets/gdp2?key=Country%20Code,Year", csv, publisher),
        "publish-csv-schema": request("PUT", "/v1/collections/local/datasets/gdp3?schema=" +
                                      "".join(c if c.isalnum() else "%%%02X" % ord(c) for c in schema), csv, publisher),
        "publish-csv-chunked": b"PUT /v1/collections/local/datasets/gdp4 HTTP/1.1\r\nHost: x\r\nX-Fuzz-Role: publisher\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n1a\r\nCountry Code,Year,Value\r\n\r\n9\r\nAFG,2000,\r\n2\r\n1\n\r\n0\r\n\r\n",
        "publish-forbidden": request("PUT", "/v1/collections/local/datasets/gdp", csv, viewer),
        "method-not-allowed": request("DELETE", "/v1/collections", headers=admin),
        "no-such-route": request("GET", "/v2/nothing", headers=viewer),
        "bad-escape": request("GET", "/v1/collections/%zz/datasets", headers=viewer),
        "bad-query": request("GET", "/v1/collections/local/log?limit=%G1", headers=viewer),
        "bad-request-line": b"GET /v1/collections HTTP/9.9\r\n\r\n",
    }
    for name, data in seeds.items():
        write(f"corpus/fuzz_http_router/{name}", data)


if __name__ == "__main__":
    csv_seeds()
    data_package_seeds()
    http_seeds()
