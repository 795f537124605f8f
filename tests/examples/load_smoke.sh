#!/usr/bin/env bash
# rtwire_load against the example servers, briefly: a few WebSocket connections to
# ws_echo_server (closed loop, then at a fixed rate) and a few SSE streams of sse_server. Each
# run's JSON summary must carry every documented field, open every connection and lose nothing;
# a refused connection and a bad flag must be reported as such.
#
#   tests/examples/load_smoke.sh RTWIRE_LOAD WS_ECHO_SERVER SSE_SERVER
#
# Needs python3 (to read the JSON). Servers run on free ports of 127.0.0.1, killed at the end.
set -uo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 rtwire_load ws_echo_server sse_server" >&2
  exit 2
fi
load=$1 echo_server=$2 sse=$3
tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
status=0
fail() {
  echo "FAIL: $*" >&2
  status=1
}

start() {  # start NAME BINARY...: runs a server on a free port; sets $port
  local name=$1
  shift
  "$@" --port 0 >"$tmp/$name.log" 2>&1 &
  pids+=($!)
  port=
  for _ in $(seq 100); do
    port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$tmp/$name.log" | sed 's/.*://')
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  fail "$name did not start: $(cat "$tmp/$name.log")"
  exit 1
}

# check_json FILE MODE CONNECTIONS: every field present, all connections open, nothing lost.
check_json() {
  python3 - "$@" <<'PY' || status=1
import json, sys
path, mode, connections = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(path).read()
lines = text.splitlines()
if len(lines) != 1:
    sys.exit(f"FAIL: {path}: expected one JSON line on stdout, got {len(lines)}")
j = json.loads(lines[0])
fields = ["url", "mode", "connections", "connections_requested", "connections_failed", "size",
          "rate", "pipeline", "duration_s", "messages_sent", "messages_received", "lost",
          "throughput_msgs_per_s", "throughput_bytes_per_s", "latency_us", "errors",
          "error_samples"]
missing = [f for f in fields if f not in j] + \
          [f"latency_us.{f}" for f in ["p50", "p99", "p999", "max", "mean", "samples"]
           if f not in j.get("latency_us", {})]
problems = []
if missing: problems.append(f"missing fields {missing}")
if j.get("mode") != mode: problems.append(f"mode {j.get('mode')}")
if j.get("connections") != connections: problems.append(f"connections {j.get('connections')}")
if j.get("lost") != 0: problems.append(f"lost {j.get('lost')}")
if j.get("errors") != 0: problems.append(f"errors {j.get('errors')}: {j.get('error_samples')}")
if not j.get("messages_sent", 0) > 0: problems.append("no message sent")
expected = j["messages_sent"] * (connections if mode == "sse" else 1)
if j.get("messages_received") != expected:
    problems.append(f"received {j.get('messages_received')}, expected {expected}")
lat = j.get("latency_us", {})
if lat.get("samples") != j.get("messages_received"): problems.append("latency samples != received")
if not (0 < lat.get("p50", 0) <= lat.get("p99", 0) <= lat.get("p999", 0) <= lat.get("max", 0)):
    problems.append(f"latency percentiles not ordered: {lat}")
if not j.get("throughput_msgs_per_s", 0) > 0: problems.append("no throughput")
if problems:
    sys.exit(f"FAIL: {path}: " + "; ".join(problems) + "\n" + text)
PY
}

start echo "$echo_server"
ws_port=$port
start sse "$sse"
sse_port=$port

# 1. WebSocket, closed loop: 4 connections, 2 messages in flight each, 1 s.
"$load" --url "ws://127.0.0.1:$ws_port/" --connections 4 --pipeline 2 --size 64 --duration 1 \
  >"$tmp/ws.json" 2>"$tmp/ws.err"
[ $? -eq 0 ] || fail "ws closed loop exit: $(cat "$tmp/ws.err")"
check_json "$tmp/ws.json" websocket 4
grep -q "connections open" "$tmp/ws.err" || fail "no progress on stderr: $(cat "$tmp/ws.err")"

# 2. WebSocket, open loop at 500 messages/s, 16 KiB text messages.
"$load" --url "ws://127.0.0.1:$ws_port/" --connections 3 --rate 500 --size 16384 --text \
  --duration 1 >"$tmp/rate.json" 2>"$tmp/rate.err"
[ $? -eq 0 ] || fail "ws rate exit: $(cat "$tmp/rate.err")"
check_json "$tmp/rate.json" websocket 3
python3 -c "import json,sys; n=json.load(open(sys.argv[1]))['messages_sent']; sys.exit(0 if 250<=n<=550 else f'FAIL: --rate 500 for 1 s sent {n}')" "$tmp/rate.json" || status=1

# 3. SSE: 3 streams of one topic, publishes through POST /publish.
"$load" --url "http://127.0.0.1:$sse_port/events?topic=smoke" --connections 3 --pipeline 2 \
  --duration 1 >"$tmp/sse.json" 2>"$tmp/sse.err"
[ $? -eq 0 ] || fail "sse exit: $(cat "$tmp/sse.err")"
check_json "$tmp/sse.json" sse 3

# 4. Failures are reported: a port nobody listens on, and a bad URL.
"$load" --url "ws://127.0.0.1:1/" --connections 2 --duration 0 >"$tmp/refused.json" 2>/dev/null
[ $? -eq 1 ] || fail "refused connections should exit 1"
python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j['connections_failed']==2 and j['connections']==0 and j['errors']==2 else f'FAIL: refused: {j}')" "$tmp/refused.json" || status=1
"$load" --url "https://example.org/" >/dev/null 2>&1
[ $? -eq 2 ] || fail "an https URL should be refused with exit 2"

[ $status -eq 0 ] && echo "load smoke: ok"
exit $status
