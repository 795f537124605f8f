#!/usr/bin/env bash
# STUN integration test (CI): real STUN clients from Debian against examples/stun_server.
#  - coturn's `turnutils_stunclient -p PORT 127.0.0.1` must print the UDP reflexive address;
#  - the classic `stun 127.0.0.1:PORT 1 -v` (package stun-client, RFC 3489) must print ok=1 and
#    the mapped address;
#  - node: silent discards over UDP (udp_discard.mjs), Binding requests over TCP at every
#    segmentation (tcp_segments.mjs), the server's discard counters;
#  - the libnice test program, when given (built only where libnice-dev is installed).
#
#   tests/integration/stun/run.sh /path/to/stun_server [/path/to/rtwire_test_stun_libnice]
#
# Bounded: each client runs under `timeout`. Exits non-zero on a failure.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 /path/to/stun_server [/path/to/libnice_test]" >&2
  exit 2
fi
server=$(realpath "$1")
libnice_test=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Port 0: the server binds UDP to a free port, TCP to the same one, and prints it.
"$server" --host 127.0.0.1 --port 0 >"$tmp/server.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
  grep -q listening "$tmp/server.log" && break
  sleep 0.1
done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/server.log")
if [ -z "$port" ]; then
  echo "run.sh: stun_server did not start:" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi
echo "stun_server on port $port"
status=0

echo "-- turnutils_stunclient"
if timeout 10 turnutils_stunclient -p "$port" 127.0.0.1 >"$tmp/coturn.log" 2>&1 &&
  grep -q 'UDP reflexive addr: 127\.0\.0\.1:[0-9]' "$tmp/coturn.log"; then
  grep 'reflexive' "$tmp/coturn.log" | head -1
else
  echo "FAIL: turnutils_stunclient" >&2
  cat "$tmp/coturn.log" >&2
  status=1
fi

echo "-- stun (stun-client, RFC 3489)"
timeout 10 stun "127.0.0.1:$port" 1 -v >"$tmp/stun.log" 2>&1 || true
if grep -q 'ok=1' "$tmp/stun.log" && grep -q 'mappedAddr=127\.0\.0\.1:[1-9]' "$tmp/stun.log"; then
  grep -E 'ok=1|mappedAddr' "$tmp/stun.log"
else
  echo "FAIL: stun client" >&2
  cat "$tmp/stun.log" >&2
  status=1
fi

echo "-- UDP: silent discards (RFC 8489 §6.3)"
timeout 30 node "$here/udp_discard.mjs" "$port" || status=1

echo "-- TCP at every segmentation (node)"
timeout 60 node "$here/tcp_segments.mjs" "$port" || status=1

if [ -n "$libnice_test" ]; then
  echo "-- libnice's STUN agent against rtwire"
  timeout 30 "$libnice_test" "$port" || status=1
fi

if ! kill -0 "$pid" 2>/dev/null; then
  echo "run.sh: stun_server died:" >&2
  cat "$tmp/server.log" >&2
  status=1
else
  # Stop it and read its counters: the four datagrams of udp_discard.mjs were counted.
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
  tail -1 "$tmp/server.log"
  grep -q 'malformed=2 not_request=1 bad_fingerprint=1' "$tmp/server.log" || {
    echo "FAIL: discard counters" >&2
    status=1
  }
fi
echo "-- flags: --help exits 0, a bad --port or --max-connections exits 2"
timeout 5 "$server" --help >/dev/null || { echo "FAIL: --help" >&2; status=1; }
for bad in "--port 70000" "--port abc" "--max-connections 10x"; do
  # shellcheck disable=SC2086 # each case is a flag and its value
  if timeout 5 "$server" $bad >/dev/null 2>&1; [ $? -ne 2 ]; then
    echo "FAIL: $bad does not exit 2" >&2
    status=1
  fi
done
echo "-- dual stack: bound to ::, an IPv4 client is mapped as IPv4 (not ::ffff:127.0.0.1)"
if [ -e /proc/net/if_inet6 ]; then
  "$server" --host :: --port 0 >"$tmp/v6.log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do
    grep -q listening "$tmp/v6.log" && break
    sleep 0.1
  done
  port6=$(sed -n 's/^listening on .*:\([0-9]*\) (udp+tcp)$/\1/p' "$tmp/v6.log")
  if timeout 10 turnutils_stunclient -p "$port6" 127.0.0.1 >"$tmp/coturn6.log" 2>&1 &&
    grep -q 'IPv4. UDP reflexive addr: 127\.0\.0\.1:[0-9]' "$tmp/coturn6.log"; then
    grep -m1 reflexive "$tmp/coturn6.log"
  else
    echo "FAIL: dual-stack mapping" >&2
    cat "$tmp/v6.log" "$tmp/coturn6.log" >&2
    status=1
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
else
  echo "(no IPv6 on this machine: skipped)"
fi
[ $status -eq 0 ] && echo "stun integration: ok"
exit $status
