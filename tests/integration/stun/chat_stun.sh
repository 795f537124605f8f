#!/usr/bin/env bash
# chat_server --stun-port (CI): the chat's built-in STUN server answers real STUN clients, and
# GET /config hands the page `stun:HOST:PORT` with HOST taken from the request's Host header.
#  - --stun-port 0 binds a free UDP port and logs it; /config lists it first, before the
#    --ice-servers entries; a bracketed IPv6 Host keeps its brackets;
#  - coturn's turnutils_stunclient and the classic `stun` client get 127.0.0.1 back;
#  - without --stun-port, /config is exactly the --ice-servers array; --stun-port 70000 and
#    --stun-port abc are refused with exit status 2.
#
#   tests/integration/stun/chat_stun.sh /path/to/chat_server
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 /path/to/chat_server" >&2
  exit 2
fi
server=$(realpath "$1")
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# start NAME ARGS...: runs chat_server on a free port; sets $http_port (and $stun_port if any).
start() {
  local name=$1
  shift
  "$server" --host 127.0.0.1 --port 0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=($!)
  for _ in $(seq 50); do
    grep -q listening "$tmp/$name.out" && break
    sleep 0.1
  done
  http_port=$(sed -nE 's/^chat_server listening on 127\.0\.0\.1:([0-9]+)$/\1/p' "$tmp/$name.out")
  [ -n "$http_port" ] || { cat "$tmp/$name.err" >&2; fail "$name: chat_server did not start"; }
  stun_port=$(sed -nE 's/^chat_server: STUN on udp 127\.0\.0\.1:([0-9]+)$/\1/p' "$tmp/$name.err")
}
config() { curl -sf --max-time 5 "$@"; }

start with_stun --stun-port 0 --ice-servers '[{"urls":"turn:relay.example:3478"}]'
[ -n "$stun_port" ] && [ "$stun_port" -gt 0 ] || fail "no STUN port logged"
got=$(config "http://127.0.0.1:$http_port/config")
want='{"iceServers":[{"urls":"stun:127.0.0.1:'"$stun_port"'"},{"urls":"turn:relay.example:3478"}]}'
[ "$got" = "$want" ] || fail "/config: got $got, want $want"
got=$(config -H 'Host: chat.example:8080' "http://127.0.0.1:$http_port/config")
[[ $got == *'"stun:chat.example:'"$stun_port"'"'* ]] || fail "/config with a named Host: $got"
got=$(config -H 'Host: [::1]:8080' "http://127.0.0.1:$http_port/config")
[[ $got == *'"stun:[::1]:'"$stun_port"'"'* ]] || fail "/config with an IPv6 Host: $got"
echo "ok - /config lists stun:HOST:$stun_port first"

timeout 10 turnutils_stunclient -p "$stun_port" 127.0.0.1 >"$tmp/coturn.log" 2>&1 || true
grep -q 'UDP reflexive addr: 127\.0\.0\.1:[0-9]' "$tmp/coturn.log" ||
  { cat "$tmp/coturn.log" >&2; fail "turnutils_stunclient got no reflexive address"; }
echo "ok - turnutils_stunclient: $(grep -m1 reflexive "$tmp/coturn.log")"
timeout 10 stun "127.0.0.1:$stun_port" 1 -v >"$tmp/stun.log" 2>&1 || true
grep -q 'ok=1' "$tmp/stun.log" && grep -q 'mappedAddr=127\.0\.0\.1:[1-9]' "$tmp/stun.log" ||
  { cat "$tmp/stun.log" >&2; fail "stun client"; }
echo "ok - stun client: ok=1, $(grep -m1 -o 'mappedAddr=[0-9.:]*' "$tmp/stun.log")"
# The chat still works beside it.
[ "$(config "http://127.0.0.1:$http_port/healthz")" = ok ] || fail "/healthz"

start without_stun --ice-servers '[]'
[ -z "$stun_port" ] || fail "a STUN port was logged without --stun-port"
got=$(config "http://127.0.0.1:$http_port/config")
[ "$got" = '{"iceServers":[]}' ] || fail "/config without --stun-port: $got"
echo "ok - without --stun-port, /config is the --ice-servers array"

for bad in 70000 abc; do
  set +e
  "$server" --port 0 --stun-port "$bad" >/dev/null 2>"$tmp/bad.err"
  status=$?
  set -e
  [ "$status" -eq 2 ] || fail "--stun-port $bad: exit $status, want 2"
  grep -q -- '--stun-port' "$tmp/bad.err" || fail "--stun-port $bad: the message does not name it"
done
echo "ok - --stun-port 70000 and abc are refused (exit 2)"
echo "chat STUN: all checks passed"
