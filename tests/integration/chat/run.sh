#!/usr/bin/env bash
# chat_server protocol tests (CI): starts the server on a free port of 127.0.0.1, runs
# protocol.mjs (ws, eventsource and node's fetch), kills the server. Bounded: 120 s.
#
#   tests/integration/chat/run.sh /path/to/chat_server
#
# Needs node >= 20 and the packages pinned in package-lock.json (`npm ci` when missing).
set -euo pipefail
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 /path/to/chat_server" >&2
  exit 2
fi
server=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [ ! -d node_modules/ws ] || [ ! -d node_modules/eventsource ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
# start NAME ARGS...: starts chat_server on a free port; sets $port.
start() {
  local name=$1
  shift
  "$server" --host 127.0.0.1 --port 0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=($!)
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/^chat_server listening on [^ ]*:\([0-9]*\)$/\1/p' "$tmp/$name.out")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "chat_server did not start: $(cat "$tmp/$name.err")" >&2
  exit 1
}
start main --max-text 1000 --rate 5 --grace-ms 1500 --heartbeat-ms 200 \
  --allow-origin http://allowed.example
main_port=$port
start slow --max-buffered 262144 --rate 100000 --max-text 16384 --history 5000
slow_port=$port
status=0
timeout 120 node protocol.mjs "$main_port" "$slow_port" || status=1
for p in "${pids[@]}"; do
  if ! kill -0 "$p" 2>/dev/null; then
    echo "FAIL: a chat_server died: $(tail -n 5 "$tmp"/*.err)" >&2
    status=1
  fi
done
[ $status -eq 0 ] || { echo "server stderr:" >&2; tail -n 20 "$tmp"/*.err >&2; }
exit $status
