#!/usr/bin/env python3
"""Bad input to `kongsi publish`: each case must fail with a message naming
where it went wrong, exit non-zero, and leave the collection's state digest
unchanged. Declared encodings (CP850, Latin-1) must work."""
import os
import subprocess
import sys
import tempfile

KONGSI = sys.argv[1]


def run(data_dir, *args):
    return subprocess.run([KONGSI, "--data", data_dir] + list(args), capture_output=True)


CASES = [
    # (name, file bytes, extra args, fragments the error must contain)
    ("ragged row", b"id,v\n1,a\n2\n", ["--key", "id"], ["line 3", "field"]),
    ("unterminated quote", b'id,v\n1,"abc\n2,x\n', ["--key", "id"], ["unterminated", "line 2"]),
    ("invalid utf-8", b"id,v\n1,caf\xe9\n", ["--key", "id"], ["UTF-8", "line 2", "--encoding"]),
    ("duplicate key", b"id,v\n1,a\n2,b\n1,c\n", ["--key", "id"], ["line 4", "line 2", "duplicate"]),
    ("empty key cell", b"id,v\n1,a\n,b\n", ["--key", "id"], ["line 3", "id"]),
    ("missing key column", b"id,v\n1,a\n", ["--key", "nope"], ["nope"]),
    ("empty file", b"", ["--key", "id"], ["empty"]),
    ("type mismatch", b"id,v\n1,12\n2,abc\n", ["--key", "id", "--schema", "SCHEMA_OK"],
     ["line 3", "v", "integer"]),
    ("schema not json", b"id,v\n1,2\n", ["--key", "id", "--schema", "SCHEMA_BAD"], ["schema", "JSON"]),
]


def main():
    failures = 0
    with tempfile.TemporaryDirectory(prefix="kongsi-bad-") as tmp:
        d = os.path.join(tmp, "node")
        assert run(d, "init", "--name", "bad").returncode == 0
        assert run(d, "collection", "create", "c").returncode == 0
        good = os.path.join(tmp, "good.csv")
        open(good, "wb").write(b"id,v\n1,a\n2,b\n")
        r = run(d, "publish", good, "--collection", "c", "--dataset", "base", "--key", "id")
        assert r.returncode == 0, r.stderr
        schema_ok = os.path.join(tmp, "schema.json")
        open(schema_ok, "w").write('{"fields":[{"name":"id","type":"integer"},{"name":"v","type":"integer"}],'
                                   '"primaryKey":["id"]}')
        schema_bad = os.path.join(tmp, "bad-schema.json")
        open(schema_bad, "w").write('{"fields": [ {"name": "id", }')
        before = run(d, "digest", "--collection", "c").stdout
        assert before.strip(), "digest printed nothing"
        for name, content, extra, fragments in CASES:
            path = os.path.join(tmp, name.replace(" ", "_") + ".csv")
            open(path, "wb").write(content)
            extra = [schema_ok if a == "SCHEMA_OK" else schema_bad if a == "SCHEMA_BAD" else a for a in extra]
            r = run(d, "publish", path, "--collection", "c", "--dataset", "t", *extra)
            err = r.stderr.decode("utf-8", "replace")
            after = run(d, "digest", "--collection", "c").stdout
            problems = []
            if r.returncode == 0:
                problems.append("exit code 0")
            problems += [f"message lacks {f!r}" for f in fragments if f.lower() not in err.lower()]
            if after != before:
                problems.append("digest changed")
            if problems:
                failures += 1
                print(f"FAIL {name}: {', '.join(problems)}; stderr: {err.strip()}")
            else:
                print(f"ok {name}: {err.strip()}")

        # Declared encodings decode: CP850 0x82 and Latin-1 0xE9 are both "é".
        for enc, raw in (("CP850", b"\x82"), ("LATIN1", b"\xe9")):
            path = os.path.join(tmp, f"{enc}.csv")
            open(path, "wb").write(b"id,v\n1,caf" + raw + b"\n")
            r = run(d, "publish", path, "--collection", "c", "--dataset", enc.lower(), "--key", "id",
                    "--encoding", enc)
            out = run(d, "export", "--collection", "c", "--dataset", enc.lower()).stdout.decode("utf-8")
            if r.returncode != 0 or "café" not in out:
                failures += 1
                print(f"FAIL {enc}: exit {r.returncode}, export {out!r}, stderr {r.stderr!r}")
            else:
                print(f"ok {enc} decodes")
    total = len(CASES) + 2
    print(f"{total - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
