#!/usr/bin/env bash
# End-to-end WebSocket echo benchmark (issue #14 §2): examples/ws_echo_server against the same
# echo server on Boost.Beast (bench/peers/beast_echo_server.cpp), npm `ws`
# (tests/integration/ws/echo_server.mjs) and libwebsockets (bench/peers/lws_echo_server.cpp),
# each pinned to one core with rtwire_load pinned to the other. Then idle memory per open
# WebSocket connection and whether each server holds 10 000 concurrent connections.
#
#   bench/e2e/run.sh [BUILD_DIR]        (default build/e2e; configured and built when missing)
#
# Environment: E2E_DURATION (seconds per run, 5), E2E_REPS (runs per cell, 3: the median by
# messages/s is reported), E2E_CONNECTIONS (100), E2E_SIZES ("64 16384"), E2E_PIPELINES ("1 8":
# messages in flight per connection; 1 is ping-pong, 8 lets a server answer several messages
# read together with one write), E2E_IDLE (10000), E2E_SERVERS ("rtwire beast node lws").
# Needs taskset, python3; node + npm for the `ws` peer.
# Not part of CI (minutes long; figures need a quiet machine). Output: one table on stdout, the
# raw JSON summaries in $BUILD_DIR/e2e-results/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build/e2e}
duration=${E2E_DURATION:-5}
reps=${E2E_REPS:-3}
connections=${E2E_CONNECTIONS:-100}
sizes=${E2E_SIZES:-64 16384}
pipelines=${E2E_PIPELINES:-1 8}
idle=${E2E_IDLE:-10000}
servers=${E2E_SERVERS:-rtwire beast node lws}
server_cpu=0 load_cpu=1
[ "$(nproc)" -ge 2 ] || { server_cpu=0 load_cpu=0; echo "warning: one core: not pinned apart" >&2; }

# 1. Build what is missing (Release, benchmarks on for the peers).
if [ ! -x "$build/examples/load/rtwire_load" ] || [ ! -x "$build/examples/ws_echo_server/ws_echo_server" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRTWIRE_BUILD_BENCH=ON \
    -DRTWIRE_BUILD_TESTS=OFF -DRTWIRE_BUILD_EXAMPLES=ON -DCMAKE_VERIFY_INTERFACE_HEADER_SETS=OFF >/dev/null
  targets=(rtwire_load ws_echo_server)
  grep -q beast_echo_server "$build/build.ninja" && targets+=(beast_echo_server)
  grep -q lws_echo_server "$build/build.ninja" && targets+=(lws_echo_server)
  cmake --build "$build" -j2 --target "${targets[@]}"
fi
load=$build/examples/load/rtwire_load
results=$build/e2e-results
mkdir -p "$results"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

pid=
stop_server() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=
}
trap stop_server EXIT

# start_server NAME PORT: starts the server pinned to $server_cpu; false when it is not built.
start_server() {
  local name=$1 port=$2
  case $name in
    rtwire) taskset -c $server_cpu "$build/examples/ws_echo_server/ws_echo_server" --port "$port" 2>/dev/null & ;;
    beast)
      [ -x "$build/bench/beast_echo_server" ] || return 1
      taskset -c $server_cpu "$build/bench/beast_echo_server" --port "$port" 2>/dev/null & ;;
    lws)
      [ -x "$build/bench/lws_echo_server" ] || return 1
      taskset -c $server_cpu "$build/bench/lws_echo_server" --port "$port" 2>/dev/null & ;;
    node)
      command -v node >/dev/null || return 1
      (cd "$root/tests/integration/ws" &&
        { [ -d node_modules/ws ] || npm ci --no-audit --no-fund --loglevel=error >&2; }) || return 1
      taskset -c $server_cpu node "$root/tests/integration/ws/echo_server.mjs" "$port" >/dev/null & ;;
  esac
  pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "$name did not start" >&2
  return 1
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# 2. Throughput and latency: 100 connections, closed loop (a new message as each echo returns,
# $pipelines in flight per connection).
port=19400
echo "# bench/e2e: $(date -u +%Y-%m-%dT%H:%MZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(uname -r)"
echo "# server on cpu $server_cpu, rtwire_load on cpu $load_cpu; $connections connections, ${duration}s per run, median of $reps by msgs/s"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared: compare rows of this run only)"
printf '| %-8s | %7s | %8s | %12s | %10s | %10s | %6s |\n' server size pipeline msgs/s "p50 (us)" "p99 (us)" lost
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ---------- --------- ---------- -------------- ------------ ------------ --------
for server in $servers; do
  port=$((port + 1))
  if ! start_server "$server" "$port"; then
    printf '| %-8s | %7s | %8s | %12s | %10s | %10s | %6s |\n' "$server" - - "not built" - - -
    stop_server
    continue
  fi
  for pipeline in $pipelines; do
    for size in $sizes; do
      for rep in $(seq "$reps"); do
        taskset -c $load_cpu "$load" --url "ws://127.0.0.1:$port/" --connections "$connections" \
          --size "$size" --duration "$duration" --pipeline "$pipeline" \
          >"$results/$server-$size-$pipeline-$rep.json" 2>/dev/null || true
      done
      python3 - "$server" "$size" "$pipeline" "$results" "$reps" <<'PY'
import json, sys
server, size, pipeline, results, reps = sys.argv[1:5] + [int(sys.argv[5])]
runs = []
for rep in range(1, reps + 1):
    try:
        runs.append(json.load(open(f"{results}/{server}-{size}-{pipeline}-{rep}.json")))
    except (OSError, ValueError):
        pass
if not runs:
    print(f"| {server:<8} | {size:>7} | {pipeline:>8} | {'failed':>12} | {'-':>10} | {'-':>10} | {'-':>6} |")
    sys.exit(0)
runs.sort(key=lambda j: j["throughput_msgs_per_s"])
j = runs[len(runs) // 2]
lat = j["latency_us"]
print(f"| {server:<8} | {size:>7} | {pipeline:>8} | {j['throughput_msgs_per_s']:>12,.0f} | "
      f"{lat['p50']:>10,.1f} | {lat['p99']:>10,.1f} | {j['lost']:>6} |")
PY
    done
  done
  stop_server
done

# 3. Idle connections: open $idle, hold them, read the server's RSS before and after.
echo
echo "# $idle idle WebSocket connections per server (RSS delta / connections; kernel socket buffers are not in RSS)"
printf '| %-8s | %12s | %14s | %10s |\n' server "held" "RSS delta MiB" "KiB/conn"
printf '|%s|%s|%s|%s|\n' ---------- -------------- ---------------- ------------
for server in $servers; do
  port=$((port + 1))
  if ! start_server "$server" "$port"; then
    stop_server
    continue
  fi
  sleep 0.5
  before=$(rss_kib "$pid")
  taskset -c $load_cpu "$load" --url "ws://127.0.0.1:$port/" --connections "$idle" --size 64 \
    --duration 0 --hold 8 --connect-timeout 60 >"$results/$server-idle.json" 2>"$results/$server-idle.err" &
  load_pid=$!
  for _ in $(seq 1200); do
    grep -q "connections open" "$results/$server-idle.err" 2>/dev/null && break
    sleep 0.05
  done
  sleep 3
  after=$(rss_kib "$pid")
  wait "$load_pid" || true
  python3 - "$server" "$before" "$after" "$idle" "$results/$server-idle.json" <<'PY'
import json, sys
server, before, after, idle, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
try:
    j = json.load(open(path))
    held = f"{j['connections']}/{idle}" + ("" if j["connections_failed"] == 0 else f" ({j['connections_failed']} failed)")
except (OSError, ValueError):
    held = "load failed"
delta = after - before
print(f"| {server:<8} | {held:>12} | {delta / 1024:>14,.1f} | {delta / idle:>10,.2f} |")
PY
  stop_server
done
