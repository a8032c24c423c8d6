#!/bin/sh
# The container's first process. On the first start of an empty volume it
# makes the node (key pair, database) named $KONGSI_NAME, and a config.json
# whose API listens on every interface of the container: the API is only
# reachable through the port the host publishes (compose.yaml binds it to
# the host's 127.0.0.1). Then it runs `kongsi serve` as PID 1's child-free
# replacement (exec), so `docker stop` sends it SIGTERM.
set -eu
data="${KONGSI_DATA:-/var/lib/kongsi}"
if [ ! -f "$data/node.key" ]; then
  kongsi --data "$data" init --name "${KONGSI_NAME:?set KONGSI_NAME to the organisation name}"
fi
if [ ! -f "$data/config.json" ]; then
  umask 077
  printf '{\n  "peer_listen": "0.0.0.0:7600",\n  "api_listen": "0.0.0.0:7680"\n}\n' > "$data/config.json"
fi
if [ "${1:-serve}" = serve ]; then
  exec kongsi --data "$data" serve
fi
exec kongsi --data "$data" "$@"
