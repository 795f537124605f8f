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
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
"$server" --host 127.0.0.1 --port 0 --max-text 1000 --rate 5 --grace-ms 1500 \
  --heartbeat-ms 200 --allow-origin http://allowed.example >"$tmp/out" 2>"$tmp/err" &
pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^chat_server listening on [^ ]*:\([0-9]*\)$/\1/p' "$tmp/out")
  [ -n "$port" ] && break
  sleep 0.05
done
if [ -z "$port" ]; then
  echo "chat_server did not start: $(cat "$tmp/err")" >&2
  exit 1
fi
status=0
timeout 120 node protocol.mjs "$port" || status=1
if ! kill -0 "$pid" 2>/dev/null; then
  echo "FAIL: chat_server died: $(tail -5 "$tmp/err")" >&2
  status=1
fi
[ $status -eq 0 ] || { echo "server stderr:" >&2; tail -20 "$tmp/err" >&2; }
exit $status
