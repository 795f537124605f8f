#!/usr/bin/env bash
# The chat cluster under load (issue #16 §4): redis-server on a free port, two chat_server nodes
# on it (--redis, --node-id nA / nB), then rtwire_load --mode chat over both nodes' URLs:
#   1. steady: 10 000 WebSocket clients in 100 rooms, 10 messages/s per room, 60 s;
#   2. storm: the same with every connection dropped at once halfway through, each client
#      resuming on the OTHER node (?resume=TOKEN, join with since = its last cursor).
# Each run prints one JSON line: {"run", "load": <rtwire_load's summary>, "rss_kb": {node:
# {"before", "peak", "after"}}} (VmRSS from /proc/PID/status: before the run, the highest of a
# once-a-second sample during it, after it). Exit status 1 when a run reports loss, duplicates
# or a connection that did not open.
#
#   bench/cluster/run.sh BUILD_DIR [--quick] [--single]
#
# BUILD_DIR: a Release build with chat_server and rtwire_load built (`cmake --preset release &&
# cmake --build build/release --target chat_server rtwire_load`); a Debug build spends several
# times the CPU per delivery on both sides.
#
# --quick: 1000 connections for 10 s (storm at 5 s). --single: one node without Redis (both
# URLs point at it; the storm resumes on the same node) to try the script where chat_server has
# no --redis. Environment: CLUSTER_CONNECTIONS, CLUSTER_ROOMS, CLUSTER_ROOM_RATE,
# CLUSTER_DURATION, CLUSTER_SIZE, CLUSTER_DRAIN (10 s) override the figures; CLUSTER_NODE_ARGS adds chat_server flags
# (the nodes run with --rate 1000 --grace-ms 60000); CLUSTER_PIN=1 pins redis and the nodes to
# core 0 and rtwire_load to core 1 (default: not pinned). Needs redis-server (and redis-cli),
# python3, taskset. Not part of CI.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [--quick] [--single]" >&2
  exit 2
fi
build=$1
shift
quick=0 single=0
for a in "$@"; do
  case $a in
    --quick) quick=1 ;;
    --single) single=1 ;;
    *) echo "$0: unknown argument $a" >&2; exit 2 ;;
  esac
done
connections=${CLUSTER_CONNECTIONS:-$([ $quick = 1 ] && echo 1000 || echo 10000)}
duration=${CLUSTER_DURATION:-$([ $quick = 1 ] && echo 10 || echo 60)}
rooms=${CLUSTER_ROOMS:-100}
room_rate=${CLUSTER_ROOM_RATE:-10}
size=${CLUSTER_SIZE:-64}
# Seconds the load generator waits after the run for deliveries still on their way (a saturated
# machine delivers late, not never: those count as lost only if they never come).
drain=${CLUSTER_DRAIN:-10}
storm_at=$(python3 -c "print($duration / 2)")
server=$build/examples/chat/chat_server
load=$build/examples/load/rtwire_load
for b in "$server" "$load"; do
  [ -x "$b" ] || { echo "$0: $b is not built (cmake --build $build --target chat_server rtwire_load)" >&2; exit 2; }
done

server_pin=() load_pin=()
# Not pinned by default: the two nodes together need about twice rtwire_load's CPU per delivery
# (measured at 1000 clients), so one core each way would starve the nodes first.
if [ "${CLUSTER_PIN:-0}" != 0 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_pin=(taskset -c 0) load_pin=(taskset -c 1)
fi
# 10 000 clients: a descriptor each in rtwire_load (two during the storm), one per node.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# 1. Redis (cluster mode only): no persistence, a port of its own.
if [ $single = 0 ]; then
  command -v redis-server >/dev/null || { echo "$0: redis-server is not installed" >&2; exit 2; }
  rport=$(free_port)
  "${server_pin[@]}" redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no >"$tmp/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    redis-cli -p "$rport" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
  redis-cli -p "$rport" ping >/dev/null 2>&1 || { echo "redis did not start: $(cat "$tmp/redis.log")" >&2; exit 1; }
  echo "redis-server on 127.0.0.1:$rport" >&2
fi

# 2. The nodes. start_node NAME: prints its port; its pid goes to $tmp/NAME.pid.
start_node() {
  # --grace-ms 60000: a session must outlive the storm's recovery (10 000 resumes on a loaded
  # machine can take longer than the default 10 s); CLUSTER_NODE_ARGS adds flags.
  local name=$1 args=(--port 0 --rate 1000 --grace-ms 60000)
  # shellcheck disable=SC2206
  args+=(${CLUSTER_NODE_ARGS:-})
  [ $single = 0 ] && args+=(--redis "127.0.0.1:$rport" --node-id "$name")
  "${server_pin[@]}" "$server" "${args[@]}" >"$tmp/$name.log" 2>&1 &
  echo $! >"$tmp/$name.pid"
  local port=
  for _ in $(seq 200); do
    port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$tmp/$name.log" | sed 's/.*://' || true)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "$name did not start: $(cat "$tmp/$name.log")" >&2; return 1; }
  echo "$port"
}
nodes=(nA nB)
[ $single = 1 ] && nodes=(nA)
urls=()
declare -A node_pid
for n in "${nodes[@]}"; do
  port=$(start_node "$n") || exit 1
  node_pid[$n]=$(cat "$tmp/$n.pid")
  pids+=("${node_pid[$n]}")
  urls+=("ws://127.0.0.1:$port/ws")
  echo "$n: chat_server pid ${node_pid[$n]} on port $port" >&2
done
[ $single = 1 ] && urls+=("${urls[0]}")
url_list=$(IFS=,; echo "${urls[*]}")

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# 3. One run: RSS before, sampled during (peak), after; prints the run's JSON line.
status=0
run() {
  local name=$1
  shift
  local n
  for n in "${nodes[@]}"; do
    rss "${node_pid[$n]}" >"$tmp/$n.before"
    echo 0 >"$tmp/$n.peak"
  done
  "${load_pin[@]}" "$load" --mode chat --url "$url_list" --connections "$connections" \
    --rooms "$rooms" --room-rate "$room_rate" --duration "$duration" --size "$size" \
    --connect-timeout 120 --drain "$drain" "$@" >"$tmp/$name.json" 2>"$tmp/$name.err" &
  local lp=$!
  while kill -0 "$lp" 2>/dev/null; do
    for n in "${nodes[@]}"; do
      local now peak
      now=$(rss "${node_pid[$n]}")
      peak=$(cat "$tmp/$n.peak")
      [ "$now" -gt "$peak" ] && echo "$now" >"$tmp/$n.peak"
    done
    sleep 1
  done
  local rc=0
  wait "$lp" || rc=$?
  sleep 1  # the nodes notice the closed connections
  for n in "${nodes[@]}"; do rss "${node_pid[$n]}" >"$tmp/$n.after"; done
  [ $rc -eq 0 ] || { status=1; echo "$name: rtwire_load exited $rc; its stderr ends with:" >&2; tail -5 "$tmp/$name.err" >&2; }
  python3 - "$name" "$tmp" "${nodes[@]}" <<'PY'
import json, sys
name, tmp, nodes = sys.argv[1], sys.argv[2], sys.argv[3:]
try:
    load = json.load(open(f"{tmp}/{name}.json"))
except Exception as e:
    load = {"error": f"no JSON from rtwire_load: {e}"}
rd = lambda n, k: int(open(f"{tmp}/{n}.{k}").read().strip() or 0)
print(json.dumps({"run": name, "load": load,
                  "rss_kb": {n: {k: rd(n, k) for k in ("before", "peak", "after")} for n in nodes}}))
PY
}

echo "steady: $connections connections, $rooms rooms, $room_rate msg/s per room, $duration s over $url_list" >&2
run steady
echo "storm: the same, every connection dropped at $storm_at s and resumed on the other node" >&2
run storm --storm-at "$storm_at"
exit $status
