"""Running `kongsi serve` nodes for the bench: the e2e tests' cluster helper
(tests/e2e/kongsi_cluster.py), plus a node over a data dir that already
exists and a keep-alive client of a node's local HTTP API for fast polling."""
import http.client
import json
import os
import re
import subprocess
import sys
import urllib.parse

from measure import BenchError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "e2e"))
from kongsi_cluster import Cluster, Failure, Node, wait_until  # noqa: E402,F401


def existing_node(binary, data, name):
    """A cluster Node over a data dir made earlier (the bench publishes with
    measured runs before any daemon starts)."""
    node = Node(binary, os.path.dirname(data), os.path.basename(data), init=False)
    node.name = name
    return node


class Api:
    """The local API of a running node, over one keep-alive connection."""

    def __init__(self, node):
        with open(os.path.join(node.data, "serve.json")) as f:
            info = json.load(f)
        url = urllib.parse.urlsplit(info["api_url"])
        self.name = node.name
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        self.headers = {"Authorization": f"Bearer {info['api_token']}"}

    def call(self, method, path, body=None, ok=(200, 201)):
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=self.headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                # The server closes a keep-alive connection that sat idle past
                # its read timeout, without reading what came next: send again.
                self.conn.close()
                if attempt == 2:
                    raise BenchError(f"{self.name}: {method} {path}: {e}")
            except (OSError, http.client.HTTPException) as e:
                self.conn.close()
                raise BenchError(f"{self.name}: {method} {path}: {e}")
        if resp.status not in ok:
            raise BenchError(f"{self.name}: {method} {path}: HTTP {resp.status}: {data[:300]!r}")
        return json.loads(data) if data else None

    def get(self, path, ok=(200,)):
        return self.call("GET", path, ok=ok)

    def version_total(self, collection):
        """Commits held of `collection` (name or id); 0 while it has not arrived."""
        info = self.get(f"/v1/collections/{urllib.parse.quote(collection)}", ok=(200, 404))
        return info.get("version_total", 0) if "error" not in info else 0

    def digest(self, collection):
        """The collection's state digest, or None while it has not arrived."""
        info = self.get(f"/v1/collections/{urllib.parse.quote(collection)}/digest", ok=(200, 404))
        return info.get("digest")

    def publish_csv(self, collection, dataset, key, text):
        query = urllib.parse.urlencode({"key": key})
        path = f"/v1/collections/{urllib.parse.quote(collection)}/datasets/{urllib.parse.quote(dataset)}?{query}"
        return self.call("PUT", path, body=text.encode())

    def grant(self, collection, node_id, role):
        body = json.dumps({"node_id": node_id, "role": role})
        return self.call("POST", f"/v1/collections/{urllib.parse.quote(collection)}/acl", body=body)

    def add_peer(self, other, auto_join=True):
        body = json.dumps({"url": other.peer_url, "node_id": other.node_id, "name": other.name,
                           "auto_join": auto_join})
        return self.call("POST", "/v1/peers", body=body)

    def remove_peer(self, other):
        return self.call("DELETE", f"/v1/peers/{other.node_id}", ok=(200, 204))

    def peers(self):
        listing = self.get("/v1/peers")
        return listing.get("peers", []) if isinstance(listing, dict) else listing

    def connected(self, other):
        return any(p.get("node_id") == other.node_id and p.get("connected") for p in self.peers())

    def close(self):
        self.conn.close()


def wire_bytes(*nodes):
    """TCP payload bytes, both ways, of the peer links the `nodes` accepted
    (TLS records and WebSocket framing included), as the kernel counts them
    (`ss -ti`). Each link is counted once: at its accepting end."""
    ports = {urllib.parse.urlsplit(n.peer_url).port for n in nodes}
    try:
        out = subprocess.run(["ss", "-tinH", "state", "established"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise BenchError(f"ss -ti: {e}")
    total, counting = 0, False
    for line in out.splitlines():
        if line and not line[0].isspace():  # a socket: "Recv-Q Send-Q LOCAL PEER"
            local = line.split()[2]
            counting = int(local.rsplit(":", 1)[1]) in ports
        elif counting:
            for field in ("bytes_sent", "bytes_received"):
                m = re.search(field + r":(\d+)", line)
                total += int(m.group(1)) if m else 0
    return total
