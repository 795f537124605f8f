#!/usr/bin/env bash
# TURN integration test (CI): coturn's own clients (Debian `coturn`) against examples/turn_server.
#  - `turnutils_peer` is the peer (a UDP echo on loopback);
#  - `turnutils_uclient` with -u/-w: plain (channels), -s (Send/Data indications), -t (TCP),
#    -y (client to client), -t -y, and -W (TURN REST API secret); each must print
#    "Total lost packets 0". turnutils_uclient uses channel numbers above 0x4FFF and EVEN-PORT
#    with the R bit, so the server runs with --legacy-channels; peers are on loopback, so with
#    --allow-loopback-peers;
#  - with the default peer policy, the same client gets "403 (Forbidden IP)".
#
#   tests/integration/turn/run.sh /path/to/turn_server
#
# Bounded: each client runs under `timeout`. Exits non-zero on a failure.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 /path/to/turn_server" >&2
  exit 2
fi
server=$(realpath "$1")
for tool in turnutils_peer turnutils_uclient; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (Debian coturn)" >&2; exit 1; }
done
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# start_server LOG ARGS...: port 0, the server prints the port it got.
start_server() {
  local log=$1
  shift
  "$server" --host 127.0.0.1 --port 0 --realm rtwire.test --user alice:alice-pw "$@" \
    >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do
    grep -q listening "$log" && break
    sleep 0.1
  done
  port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log")
  if [ -z "$port" ]; then
    echo "run.sh: turn_server did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
}

peer_port=$((20000 + RANDOM % 10000))
turnutils_peer -L 127.0.0.1 -p "$peer_port" >"$tmp/peer.log" 2>&1 &
pids+=($!)

start_server "$tmp/server.log" --static-auth-secret rest-secret --allow-loopback-peers \
  --legacy-channels --min-port 40000 --max-port 40999
echo "turn_server on port $port, turnutils_peer on $peer_port"
status=0

run_client() {
  local name=$1
  shift
  if timeout 60 turnutils_uclient "$@" -e 127.0.0.1 -r "$peer_port" -p "$port" -n 100 -m 2 \
    -l 120 127.0.0.1 >"$tmp/client.log" 2>&1 &&
    grep -q 'Total lost packets 0 ' "$tmp/client.log"; then
    echo "ok: $name: $(grep -a 'Total lost packets' "$tmp/client.log" | sed 's/^[0-9]*: : //')"
  else
    echo "FAIL: $name" >&2
    tail -20 "$tmp/client.log" >&2
    status=1
  fi
}

run_client "plain (channels)" -u alice -w alice-pw
run_client "-s (Send/Data indications)" -u alice -w alice-pw -s
run_client "-t (TCP)" -u alice -w alice-pw -t
run_client "-y (client to client)" -u alice -w alice-pw -y
run_client "-t -y (TCP, client to client)" -u alice -w alice-pw -t -y
run_client "-W (REST API secret)" -u carol -W rest-secret

if ! grep -q '^allocation: user=alice client=127.0.0.1:[0-9]*/udp relay=127.0.0.1:40' \
  "$tmp/server.log"; then
  echo "FAIL: no allocation log line" >&2
  status=1
fi

echo "-- the default peer policy: a loopback peer is 403 (Forbidden IP)"
# --legacy-channels only widens the channel numbers (uclient picks them at random up to 0x7FFF;
# without it a number above 0x4FFF is a 400 before the peer is looked at); the policy is the
# default one.
start_server "$tmp/server2.log" --legacy-channels
timeout 30 turnutils_uclient -u alice -w alice-pw -e 127.0.0.1 -r "$peer_port" -p "$port" -n 5 \
  -m 1 -l 120 127.0.0.1 >"$tmp/client403.log" 2>&1 || true
if grep -q '403 (Forbidden IP)' "$tmp/client403.log"; then
  echo "ok: $(grep -a -m1 '403' "$tmp/client403.log" | sed 's/^[0-9]*: : //')"
else
  echo "FAIL: expected 403 (Forbidden IP)" >&2
  tail -20 "$tmp/client403.log" >&2
  status=1
fi

for log in "$tmp/server.log" "$tmp/server2.log"; do
  if grep -qiE 'sanitizer|runtime error' "$log"; then
    echo "FAIL: turn_server reported:" >&2
    cat "$log" >&2
    status=1
  fi
done
exit $status
