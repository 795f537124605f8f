#!/usr/bin/env bash
# Long-poll integration test (CI): many concurrent node `http` clients long-poll
# examples/longpoll_server while messages are published and connections are dropped at random;
# every client must end with every message exactly once, in order. Builds nothing.
#
#   tests/integration/longpoll/run.sh /path/to/longpoll_server
#
# Needs node >= 20 (no npm packages). RTWIRE_LONGPOLL_SEED fixes the random seed,
# RTWIRE_LONGPOLL_CLIENTS / _MESSAGES the load. Bounded: the whole run is killed after 120 s.
# Exits non-zero on a failure.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 /path/to/longpoll_server" >&2
  exit 2
fi
server=$(realpath "$1")
if [ ! -x "$server" ]; then
  echo "run.sh: $server is not an executable" >&2
  exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# A free port: bind to 0 and read what the kernel chose.
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
# Retention keeps every message of the run, so no client can legitimately be reset.
"$server" --host 127.0.0.1 --port "$port" --max-messages 100000 --max-body 65536 \
  --max-timeout 5000 >"$tmp/server.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
  grep -q listening "$tmp/server.log" && break
  sleep 0.1
done
if ! grep -q listening "$tmp/server.log"; then
  echo "run.sh: longpoll_server did not start:" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi

status=0
timeout 120 node clients.mjs "$port" \
  --clients "${RTWIRE_LONGPOLL_CLIENTS:-300}" \
  --messages "${RTWIRE_LONGPOLL_MESSAGES:-300}" \
  --seed "${RTWIRE_LONGPOLL_SEED:-12345}" || status=1
if ! kill -0 "$pid" 2>/dev/null; then
  echo "run.sh: longpoll_server died:" >&2
  cat "$tmp/server.log" >&2
  status=1
fi
exit $status
