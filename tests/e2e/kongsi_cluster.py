"""Real `kongsi` processes for end-to-end tests: init, serve, CLI calls that
go through the running node, and bounded waits.

Every wait has a deadline and fails with what it was waiting for; every
process started is stopped by Cluster.close() (also on failure).
"""
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request


class Failure(Exception):
    pass


# Sanitized builds run the binary several times slower; tests/CMakeLists.txt
# sets the factor, and every deadline here stretches by it.
TIME_SCALE = float(os.environ.get("KONGSI_TEST_TIME_SCALE", "1"))


def wait_until(what, predicate, timeout=60.0, interval=0.1):
    timeout *= TIME_SCALE
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Failure as e:
            last = e
        time.sleep(interval)
    raise Failure(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


class Node:
    def __init__(self, binary, root, name, init=True):
        """init=False: the data dir root/name exists already (a restored backup)."""
        self.binary = binary
        self.name = name
        self.data = os.path.join(root, name)
        self.proc = None
        self.peer_port = 0  # chosen by the first start, kept so partners' configs stay right
        self.log_path = os.path.join(root, name + ".log")
        if init:
            self.run("init", "--name", name)
        self.node_id = self.run("id").strip().split()[-1]

    def run(self, *args, check=True, json_out=False, stdin=None):
        cmd = [self.binary, "--data", self.data] + (["--json"] if json_out else []) + list(args)
        p = subprocess.run(cmd, capture_output=True, input=stdin, timeout=300 * TIME_SCALE)
        if check and p.returncode != 0:
            raise Failure(f"{self.name}: kongsi {' '.join(args)} exited {p.returncode}: "
                          f"{p.stderr.decode(errors='replace').strip()}")
        out = p.stdout.decode(errors="replace")
        return json.loads(out) if json_out and check else (out if check else p)

    # ---- the daemon ----
    def start(self):
        serve_json = os.path.join(self.data, "serve.json")
        if os.path.exists(serve_json):
            os.unlink(serve_json)  # left by a SIGKILLed run
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--data", self.data, "serve",
             "--peer-listen", f"127.0.0.1:{self.peer_port}", "--api-listen", "127.0.0.1:0"],
            stdout=log, stderr=subprocess.STDOUT)
        info = wait_until(f"{self.name} to write serve.json", lambda: self._serve_info(), timeout=30)
        self.peer_url = info["peer_url"]
        self.api_url, self.api_token = info["api_url"], info.get("api_token", "")
        self.peer_port = int(self.peer_url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        return self

    def _serve_info(self):
        if self.proc.poll() is not None:
            raise Failure(f"{self.name}: kongsi serve exited {self.proc.returncode}; log:\n{self.log()}")
        try:
            with open(os.path.join(self.data, "serve.json")) as f:
                info = json.load(f)
        except (OSError, ValueError):
            return None
        return info if info.get("peer_url") and info.get("api_url") else None

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20 * TIME_SCALE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        return code

    def kill(self):
        """SIGKILL, as a crash would: no shutdown code runs, serve.json stays."""
        return self.stop(signal.SIGKILL)

    def api(self, *segments, timeout=10):
        """GET /v1/SEGMENTS... from the running daemon, as JSON. No CLI process
        is started, so tests can poll it every few milliseconds."""
        path = "/v1/" + "/".join(urllib.parse.quote(s, safe="") for s in segments)
        req = urllib.request.Request(self.api_url + path, headers={"Authorization": f"Bearer {self.api_token}"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    # ---- what tests ask ----
    def peer(self, other, auto_join=False):
        args = ["peer", "add", other.peer_url, other.node_id, "--name", other.name]
        if auto_join:
            args.append("--auto-join")
        self.run(*args)

    def digest(self, coll):
        p = self.run("--json", "digest", "--collection", coll, check=False)
        if p.returncode != 0:
            return None
        return json.loads(p.stdout)["digest"]

    def holds(self, coll):
        return any(c.get("name") == coll for c in self.run("collection", "list", json_out=True))

    def join(self, coll, timeout=60):
        """Waits for a peer's invitation to `coll`, then accepts it."""
        wait_until(f"{self.name} to be invited to {coll}",
                   lambda: coll in json.dumps(self.run("collection", "invites", json_out=True)),
                   timeout=timeout)
        self.run("collection", "join", coll)

    def commits_by(self, coll, author):
        """The seqs of the commits by node `author` (a Node) this node holds."""
        return {e["seq"] for e in self.run("log", "--collection", coll, json_out=True)
                if e["author"] == author.node_id}

    def invalid_commits(self, coll):
        """{(author node ID, seq): reason} of the commits judged invalid."""
        return {(e["author"], e["seq"]): e["invalid_reason"]
                for e in self.run("log", "--invalid", "--collection", coll, json_out=True)}

    def roles(self, coll):
        """{node ID: role} as `acl list` shows it ("none": revoked)."""
        return {m["node_id"]: m["role"] for m in self.run("acl", "list", coll, json_out=True)}


class Cluster:
    def __init__(self, binary, root):
        self.binary = binary
        self.root = root
        self.nodes = []

    def add(self, name):
        n = Node(self.binary, self.root, name)
        self.nodes.append(n)
        return n

    def close(self):
        for n in self.nodes:
            n.stop()

    def wait_converged(self, coll, nodes=None, timeout=60):
        nodes = nodes or self.nodes

        def same():
            ds = [n.digest(coll) for n in nodes]
            if ds[0] is not None and all(d == ds[0] for d in ds):
                return ds[0]
            # Raised, not returned, so a timeout names each node's digest.
            raise Failure("digests " + ", ".join(f"{n.name}={(d or 'none')[:12]}" for n, d in zip(nodes, ds)))

        return wait_until(f"digests of {coll} to agree on {[n.name for n in nodes]}", same, timeout=timeout,
                          interval=0.25)


def run_scenarios(binary, prefix, scenarios, only=()):
    """Runs each (name, fn(cluster)) in its own Cluster under a temp dir (all
    of them, or those named in `only`); stops at the first failure, printing
    it and each node's log. Returns the exit code."""
    with tempfile.TemporaryDirectory(prefix=prefix) as root:
        for name, scenario in scenarios:
            if only and name not in only:
                continue
            cl = Cluster(binary, os.path.join(root, name.replace(" ", "-")))
            os.makedirs(cl.root)
            try:
                scenario(cl)
            except (Failure, AssertionError) as e:
                print(f"FAIL {name}: {e}")
                for n in cl.nodes:
                    print(f"--- log of {n.name} ---\n{n.log()}")
                return 1
            finally:
                cl.close()
    return 0
