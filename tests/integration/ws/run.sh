#!/usr/bin/env bash
# WebSocket integration tests (CI), with a real peer on both sides. Builds nothing.
#  1. the npm `ws` client against examples/ws_echo_server (random sizes, fragmentation, pings,
#     close codes, concurrent connections, raw protocol violations and their close codes);
#     permessage-deflate (RFC 7692) with several ws client option sets;
#  2. examples/ws_client against an npm `ws` echo server, then against ws servers with several
#     perMessageDeflate option sets (the agreement and the echo checked);
#  3. the `rtwire ws decode` contract (when the rtwire CLI is given);
#  4. headless Chromium (when installed; RTWIRE_CHROMIUM overrides /usr/bin/chromium, driven by
#     playwright-core from browser/package-lock.json) negotiates permessage-deflate with
#     ws_echo_server and echoes compressed messages; with --no-deflate, uncompressed.
#
#   tests/integration/ws/run.sh /path/to/ws_echo_server /path/to/ws_client [/path/to/rtwire]
#
# Needs node >= 20 and the package pinned in package-lock.json (installed with `npm ci` when
# node_modules is missing). RTWIRE_WS_SEED fixes the random seed. Exits non-zero on a failure.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 /path/to/ws_echo_server /path/to/ws_client [/path/to/rtwire]" >&2
  exit 2
fi
server=$(realpath "$1")
client=$(realpath "$2")
cli=${3:+$(realpath "$3")}
for bin in "$server" "$client" ${cli:+"$cli"}; do
  if [ ! -x "$bin" ]; then
    echo "run.sh: $bin is not an executable" >&2
    exit 2
  fi
done

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [ ! -d node_modules/ws ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
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

# A free port: bind to 0 and read what the kernel chose.
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

# 1. npm ws client -> ws_echo_server
port=$(free_port)
"$server" --host 127.0.0.1 --port "$port" --max-message 1048576 2>"$tmp/server.log" &
pids+=($!)
for _ in $(seq 50); do
  grep -q listening "$tmp/server.log" && break
  sleep 0.1
done
node client_vs_echo_server.mjs "$port" ${RTWIRE_WS_SEED:+--seed "$RTWIRE_WS_SEED"} || status=1
# One log line per connection: 8 sessions + 8 close codes + 13 violations + 1 oversize.
# (a session logs when it ends, after its lingering close: give the last ones a moment)
for _ in $(seq 50); do
  lines=$(grep -c '^127.0.0.1:' "$tmp/server.log" || true)
  [ "$lines" -ge 30 ] && break
  sleep 0.1
done
[ "$lines" -ge 30 ] || fail "ws_echo_server logged $lines connection lines, expected 30"

# 2. ws_client -> npm ws echo server
node echo_server.mjs >"$tmp/port" &
pids+=($!)
for _ in $(seq 50); do
  [ -s "$tmp/port" ] && break
  sleep 0.1
done
wsport=$(head -n1 "$tmp/port")
expect() {  # expect NAME EXPECTED_FILE -- ws_client arguments...
  local name=$1 expected=$2
  shift 3
  if ! "$client" --host 127.0.0.1 --port "$wsport" "$@" >"$tmp/out" 2>"$tmp/err"; then
    fail "ws_client $name: exit status $? ($(cat "$tmp/err"))"
  elif ! cmp -s "$tmp/out" "$expected"; then
    fail "ws_client $name: unexpected output"
    diff "$expected" "$tmp/out" | head -5 >&2
  fi
}
printf 'pong 70696e67\ntext hello\npong 70696e67\ntext \xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\nclose 1000 \n' >"$tmp/e1"
expect "text with pings" "$tmp/e1" -- --ping hello "$(printf '\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5')"
printf 'binary 6162636465666768696a6b6c\nclose 4001 \n' >"$tmp/e2"
expect "fragmented binary, close 4001" "$tmp/e2" -- --binary --fragment 5 --close 4001 abcdefghijkl
head -c 300000 /dev/zero | tr '\0' 'x' >"$tmp/big"
echo >>"$tmp/big"
{ printf 'text '; cat "$tmp/big"; printf 'close 1000 \n'; } >"$tmp/e3"
expect "300 KB text from stdin, fragmented" "$tmp/e3" -- --fragment 65536 <"$tmp/big"

# 2b. ws_client -> npm ws echo servers with permessage-deflate: each option set must be agreed
# (ws_client --verbose prints the server's answer) and every message echoed intact.
deflate_sets=(
  '{"threshold":0}|permessage-deflate'
  '{"threshold":0,"serverNoContextTakeover":true,"clientNoContextTakeover":true}|permessage-deflate; server_no_context_takeover; client_no_context_takeover'
  '{"threshold":0,"serverMaxWindowBits":10,"clientMaxWindowBits":11}|permessage-deflate; client_max_window_bits=11; server_max_window_bits=10'
  '{"threshold":0,"clientMaxWindowBits":9}|permessage-deflate; client_max_window_bits=9'
)
for set in "${deflate_sets[@]}"; do
  options=${set%%|*}
  agreed=${set#*|}
  node echo_server.mjs 0 "$options" >"$tmp/dport" &
  pids+=($!)
  for _ in $(seq 50); do
    [ -s "$tmp/dport" ] && break
    sleep 0.1
  done
  dport=$(head -n1 "$tmp/dport")
  : >"$tmp/dport"
  { printf 'text '; cat "$tmp/big"; printf 'text hello\ntext hello\nclose 1000 \n'; } >"$tmp/e4"
  if ! { cat "$tmp/big"; echo hello; echo hello; } |
    "$client" --host 127.0.0.1 --port "$dport" --verbose --fragment 1000 >"$tmp/out" 2>"$tmp/err"; then
    fail "ws_client deflate $options: exit status $? ($(cat "$tmp/err"))"
  elif ! cmp -s "$tmp/out" "$tmp/e4"; then
    fail "ws_client deflate $options: unexpected output"
  elif ! grep -qxF "deflate: $agreed" "$tmp/err"; then
    fail "ws_client deflate $options: agreed '$(cat "$tmp/err")', expected '$agreed'"
  fi
done

# 3. rtwire ws decode (frames captured from one direction)
if [ -n "$cli" ]; then
  out=$(printf '\x81\x02hi\x82\x03\x01\x02\x03\x89\x00\x88\x02\x03\xe8' | "$cli" ws decode --role server)
  [ "$out" = $'{"event":"text","data":"hi"}\n{"event":"binary","size":3,"hex":"010203"}\n{"event":"ping","hex":""}\n{"event":"close","code":1000,"reason":""}' ] ||
    fail "ws decode --role server: $out"
  set +e
  out=$(echo '81 02 68 69' | "$cli" ws decode --role client --hex)
  code=$?
  set -e
  [ $code -eq 1 ] && [[ "$out" == '{"event":"error","close_code":1002,'* ]] ||
    fail "ws decode: an unmasked client frame must be a 1002 error, got $code: $out"
fi

# 4. headless Chromium and permessage-deflate
chromium=${RTWIRE_CHROMIUM:-/usr/bin/chromium}
if [ -x "$chromium" ]; then
  if [ ! -d browser/node_modules/playwright-core ]; then
    (cd browser && npm ci --no-audit --no-fund --loglevel=error)
  fi
  for deflate in 1 0; do
    bport=$(free_port)
    flags=()
    [ $deflate -eq 0 ] && flags=(--no-deflate)
    "$server" --host 127.0.0.1 --port "$bport" --max-message 4194304 "${flags[@]}" \
      2>"$tmp/browser_server.log" &
    pids+=($!)
    for _ in $(seq 50); do
      grep -q listening "$tmp/browser_server.log" && break
      sleep 0.1
    done
    timeout 120 node browser_deflate.mjs "$bport" "$deflate" "$chromium" ||
      fail "chromium vs ws_echo_server (deflate $deflate)"
  done
else
  echo "ws integration: $chromium not found, browser check skipped"
fi

[ $status -eq 0 ] && echo "ws integration: OK"
exit $status
