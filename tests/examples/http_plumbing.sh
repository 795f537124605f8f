#!/usr/bin/env bash
# The shared example plumbing (examples/common/), tried as a new user would: flags, HTTP limits,
# timeouts, CORS, reason phrases, and the accept loop out of file descriptors.
#
#   tests/examples/http_plumbing.sh SSE_SERVER LONGPOLL_SERVER WS_ECHO_SERVER WS_CLIENT
#
# Needs curl. Every server runs on a free port of 127.0.0.1 and is killed at the end.
set -uo pipefail
if [ $# -ne 4 ]; then
  echo "usage: $0 sse_server longpoll_server ws_echo_server ws_client" >&2
  exit 2
fi
sse=$1 lp=$2 echo_server=$3 client=$4
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
check() {  # check NAME ACTUAL EXPECTED
  [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# 1. Flags, on every program.
for bin in "$sse" "$lp" "$echo_server" "$client"; do
  name=$(basename "$bin")
  out=$("$bin" --help </dev/null 2>&1)
  check "$name --help exit" "$?" 0
  [[ "$out" == *--port* ]] || fail "$name --help does not list --port"
  "$bin" --port 70000 </dev/null >/dev/null 2>"$tmp/err"
  check "$name --port 70000 exit" "$?" 2
  grep -q "out of range" "$tmp/err" || fail "$name --port 70000: $(cat "$tmp/err")"
  "$bin" --port abc </dev/null >/dev/null 2>"$tmp/err"
  check "$name --port abc exit" "$?" 2
  grep -q "not a port number" "$tmp/err" || fail "$name --port abc: $(cat "$tmp/err")"
done
"$echo_server" --max-message 10x >/dev/null 2>&1
check "ws_echo_server --max-message 10x exit" "$?" 2
"$lp" --max-body 10x >/dev/null 2>&1
check "longpoll_server --max-body 10x exit" "$?" 2

# Starts a server on port 0 and sets $port from its "listening on HOST:PORT" line.
start() {  # start LOGFILE BIN ARGS...
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  pids+=($!)
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$log" | head -n1)
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  fail "$* did not start: $(cat "$log")"
  return 1
}

# 2. --host localhost resolves.
start "$tmp/sse.log" "$sse" --host localhost --port 0 --head-timeout-ms 500 \
  --allow-origin http://page.example || exit 1
sse_port=$port
check "healthz of a localhost server" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$sse_port/nothing")" 404

# 3. Reason phrases and bodies.
line=$(curl -s -i -X POST -H 'Transfer-Encoding: chunked' --data-binary x \
  "http://127.0.0.1:$sse_port/publish?topic=a" | head -n1 | tr -d '\r')
check "chunked POST" "$line" "HTTP/1.1 411 Length Required"
resp=$(curl -s -i -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "http://127.0.0.1:$sse_port/events?topic=a" | tr -d '\r')
check "oversize head status" "$(head -n1 <<<"$resp")" "HTTP/1.1 431 Request Header Fields Too Large"
[[ "$resp" != *"bad request"* ]] || fail "a 431's body says bad request"
resp=$(curl -s -i -X POST -d x "http://127.0.0.1:$sse_port/publish?topic=%ZZ" | tr -d '\r')
check "topic=%ZZ status" "$(head -n1 <<<"$resp")" "HTTP/1.1 400 Bad Request"
[[ "$resp" == *"malformed query"* ]] || fail "topic=%ZZ is not reported as a malformed query: $resp"

# 4. CORS: an allowed origin gets the field, another does not; a preflight is answered.
acao() { curl -s -i -X POST -d x -H "Origin: $1" "http://127.0.0.1:$sse_port/publish?topic=c" | tr -d '\r' | sed -n 's/^Access-Control-Allow-Origin: //p'; }
check "CORS allowed origin" "$(acao http://page.example)" "http://page.example"
check "CORS other origin" "$(acao http://evil.example)" ""
pre=$(curl -s -i -X OPTIONS -H 'Origin: http://page.example' -H 'Access-Control-Request-Method: POST' \
  "http://127.0.0.1:$sse_port/publish?topic=c" | tr -d '\r')
check "CORS preflight" "$(head -n1 <<<"$pre")" "HTTP/1.1 204 No Content"
[[ "$pre" == *"Access-Control-Allow-Methods:"* ]] || fail "preflight without Allow-Methods"

# 5. Slowloris: a partial head is answered 408 and closed after --head-timeout-ms (500).
exec 3<>"/dev/tcp/127.0.0.1/$sse_port"
printf 'GET /events?topic=a HTTP/1.1\r\nHost: x\r\n' >&3
SECONDS=0
reply=$(timeout 5 cat <&3 | head -n1 | tr -d '\r')
exec 3<&-
check "slowloris" "$reply" "HTTP/1.1 408 Request Timeout"
[ "$SECONDS" -le 3 ] || fail "slowloris: held for ${SECONDS}s"

# 6. Long poll: the same plumbing (411, %ZZ, CORS).
start "$tmp/lp.log" "$lp" --port 0 --allow-origin '*' || exit 1
line=$(curl -s -i -X POST -H 'Transfer-Encoding: chunked' --data-binary x \
  "http://127.0.0.1:$port/publish?topic=a" | head -n1 | tr -d '\r')
check "longpoll chunked POST" "$line" "HTTP/1.1 411 Length Required"
resp=$(curl -s "http://127.0.0.1:$port/poll?topic=%ZZ")
[[ "$resp" == *"malformed query"* ]] || fail "longpoll topic=%ZZ: $resp"
check "longpoll CORS *" "$(curl -s -i -X POST -d x -H 'Origin: http://a.example' \
  "http://127.0.0.1:$port/publish?topic=a" | tr -d '\r' | sed -n 's/^Access-Control-Allow-Origin: //p')" "*"

# 7. Out of file descriptors: the accept loop backs off instead of spinning. Skipped for a
# sanitizer build: UBSan's checks need a pipe to probe memory, which EMFILE makes impossible
# (it then reports false errors).
if grep -qa __asan_init "$lp" || grep -qa __ubsan_handle "$lp"; then
  echo "skipping the EMFILE check: sanitized build"
else
  (
    ulimit -n 24
    exec "$lp" --port 0 >"$tmp/fd.log" 2>&1
  ) &
  pids+=($!)
  fdpid=$!
  for _ in $(seq 100); do
    fdport=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$tmp/fd.log" | head -n1)
    [ -n "$fdport" ] && break
    sleep 0.05
  done
  # 40 parked polls hold every descriptor; more connections wait in the backlog.
  for _ in $(seq 40); do
    curl -s -m 3 "http://127.0.0.1:$fdport/poll?topic=x&timeout=2500" >/dev/null &
  done
  sleep 0.5
  t0=$(awk '{print $14+$15}' "/proc/$fdpid/stat")
  sleep 1
  t1=$(awk '{print $14+$15}' "/proc/$fdpid/stat")
  ticks=$((t1 - t0))
  [ "$ticks" -lt 30 ] || fail "accept loop out of descriptors used $ticks/100 CPU ticks in 1 s"
  grep -q "pausing" "$tmp/fd.log" || fail "the accept loop never reported running out of descriptors"
  wait_for_curls() { for _ in $(seq 40); do sleep 0.1; done; }
  wait_for_curls
  check "server still answers after EMFILE" \
    "$(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$fdport/poll?topic=x&timeout=0")" 200
fi

# 8. ws_echo_server --protocol: the offered subprotocol is echoed.
start "$tmp/ws.log" "$echo_server" --port 0 --protocol chat || exit 1
hs=$(curl -s -i -m 2 -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
  -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Sec-WebSocket-Protocol: superchat, chat' \
  "http://127.0.0.1:$port/" | tr -d '\r')
check "subprotocol status" "$(head -n1 <<<"$hs")" "HTTP/1.1 101 Switching Protocols"
[[ "$hs" == *"Sec-WebSocket-Protocol: chat"* ]] || fail "ws_echo_server did not select chat: $hs"
out=$("$client" --port "$port" --host localhost hello 2>&1)
[[ "$out" == "text hello"* ]] || fail "ws_client --host localhost: $out"
out=$("$client" --port "$port" -- --help 2>&1)
[[ "$out" == "text --help"* ]] || fail "ws_client -- --help must send it as a message: $out"

[ $status -eq 0 ] && echo "example plumbing: OK"
exit $status
