#!/usr/bin/env bash
# The `rtwire ws` subcommands are a public contract: exact output bytes and exit codes.
# Usage: ws.sh PATH/TO/rtwire
set -euo pipefail
rtwire="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# rtwire ws accept KEY (RFC 6455 §1.3)
[[ "$("$rtwire" ws accept dGhlIHNhbXBsZSBub25jZQ==)" == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" ]] ||
  fail "ws accept"

request=$'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n'

# 101 from a file and from stdin, byte-exact, exit 0.
printf '%s' "$request" >"$tmp/req"
printf 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n' >"$tmp/expected"
"$rtwire" ws handshake "$tmp/req" >"$tmp/out" || fail "ws handshake FILE exit $?"
cmp -s "$tmp/out" "$tmp/expected" || fail "ws handshake FILE output"
"$rtwire" ws handshake - <"$tmp/req" >"$tmp/out" || fail "ws handshake - exit $?"
cmp -s "$tmp/out" "$tmp/expected" || fail "ws handshake - output"
"$rtwire" ws handshake <"$tmp/req" >"$tmp/out" || fail "ws handshake (no FILE) exit $?"
cmp -s "$tmp/out" "$tmp/expected" || fail "ws handshake (no FILE) output"

# 426 with Sec-WebSocket-Version: 13, exit 1.
printf '%s' "${request/Version: 13/Version: 8}" >"$tmp/req8"
set +e
"$rtwire" ws handshake "$tmp/req8" >"$tmp/out" 2>"$tmp/err"
status=$?
set -e
[[ $status -eq 1 ]] || fail "426 exit $status"
printf 'HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\nContent-Length: 0\r\n\r\n' |
  cmp -s - "$tmp/out" || fail "426 output"
grep -q "Sec-WebSocket-Version is not 13" "$tmp/err" || fail "426 message"

# 400 for a missing key, 431 for an oversize head, 400 for a truncated request; exit 1.
printf 'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n' >"$tmp/nokey"
for case in "nokey:400" "big:431" "truncated:400"; do
  name="${case%%:*}"
  code="${case##*:}"
  case "$name" in
    big) head -c 20000 /dev/zero | tr '\0' 'a' >"$tmp/big" ;;
    truncated) printf 'GET / HTTP/1.1\r\nHost: a\r\n' >"$tmp/truncated" ;;
  esac
  set +e
  "$rtwire" ws handshake "$tmp/$name" >"$tmp/out" 2>/dev/null
  status=$?
  set -e
  [[ $status -eq 1 ]] || fail "$name exit $status"
  head -c 13 "$tmp/out" | grep -q "^HTTP/1.1 $code" || fail "$name status line"
done

# Usage errors exit 2.
for args in "ws accept" "ws handshake /nonexistent/file" "ws" "ws nosuch" "nosuch"; do
  set +e
  # shellcheck disable=SC2086
  "$rtwire" $args >/dev/null 2>&1 </dev/null
  status=$?
  set -e
  [[ $status -eq 2 ]] || fail "'$args' exit $status, expected 2"
done
# No request at all (empty input): exit 1, nothing on stdout, a message that says so (not
# "rejected with 0: no error").
for input in '' $'\r\n'; do
  set +e
  printf '%s' "$input" | "$rtwire" ws handshake - >"$tmp/out" 2>"$tmp/err"
  status=$?
  set -e
  [[ $status -eq 1 ]] || fail "empty handshake exit $status"
  [[ ! -s "$tmp/out" ]] || fail "empty handshake wrote: $(cat "$tmp/out")"
  grep -q "no request" "$tmp/err" || fail "empty handshake message: $(cat "$tmp/err")"
  ! grep -q "no error" "$tmp/err" || fail "empty handshake says no error"
done

# ws accept refuses exactly the keys the handshake refuses (400 bad_key): exit 1, no output.
for bad in 'not base64!' '' 'AAAA' 'dGhlIHNhbXBsZSBub25jZQ=' 'dGhlIHNhbXBsZSBub25jZR=='; do
  set +e
  "$rtwire" ws accept "$bad" >"$tmp/out" 2>"$tmp/err"
  status=$?
  set -e
  [[ $status -eq 1 ]] || fail "ws accept '$bad' exit $status"
  [[ ! -s "$tmp/out" ]] || fail "ws accept '$bad' printed $(cat "$tmp/out")"
  grep -q "base64 encoding of exactly 16 bytes" "$tmp/err" || fail "ws accept '$bad' message"
  printf 'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n' "$bad" >"$tmp/badkey"
  set +e
  "$rtwire" ws handshake "$tmp/badkey" >"$tmp/out" 2>/dev/null
  status=$?
  set -e
  [[ $status -eq 1 ]] || fail "handshake with key '$bad' exit $status"
done

# rtwire ws decode: one JSON line per event; a violation is an error line with its close code.
printf '\x81\x02hi\x82\x03\x01\x02\x03\x89\x00\x88\x02\x03\xe8' >"$tmp/server.bin"
printf '%s\n' '{"event":"text","data":"hi"}' '{"event":"binary","size":3,"hex":"010203"}' \
  '{"event":"ping","hex":""}' '{"event":"close","code":1000,"reason":""}' >"$tmp/expected"
"$rtwire" ws decode --role server "$tmp/server.bin" | diff -u "$tmp/expected" - || fail "ws decode"
printf '\x81\x82abcd' >"$tmp/masked.bin"
set +e
"$rtwire" ws decode --role server "$tmp/masked.bin" >"$tmp/out"
status=$?
set -e
[[ $status -eq 1 ]] || fail "ws decode violation exit $status"
grep -q '^{"event":"error","close_code":1002,' "$tmp/out" || fail "ws decode violation: $(cat "$tmp/out")"
set +e
"$rtwire" ws decode --role nobody "$tmp/masked.bin" >/dev/null 2>&1
status=$?
set -e
[[ $status -eq 2 ]] || fail "ws decode bad role exit $status"

# rtwire ws decode --deflate [PARAMS]: permessage-deflate messages (RFC 7692 §7.2.3.2's two
# "Hello"s, the second one using the first's context) are inflated; the same JSON lines.
printf 'c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00' >"$tmp/deflate.hex"
if "$rtwire" ws decode --role server --hex --deflate "$tmp/deflate.hex" >"$tmp/out" 2>"$tmp/err"; then
  printf '%s\n' '{"event":"text","data":"Hello"}' '{"event":"text","data":"Hello"}' >"$tmp/expected"
  diff -u "$tmp/expected" "$tmp/out" || fail "ws decode --deflate"
  "$rtwire" ws decode --role server --hex --deflate="permessage-deflate; server_max_window_bits=15" \
    "$tmp/deflate.hex" | diff -u "$tmp/expected" - || fail "ws decode --deflate=PARAMS"
  # server_no_context_takeover: the second message may not refer to the first (1007).
  set +e
  "$rtwire" ws decode --role server --hex --deflate server_no_context_takeover "$tmp/deflate.hex" >"$tmp/out"
  status=$?
  set -e
  [[ $status -eq 1 ]] || fail "ws decode --deflate no takeover exit $status"
  grep -q '^{"event":"error","close_code":1007,' "$tmp/out" || fail "ws decode no takeover: $(cat "$tmp/out")"
  # Without --deflate, RSV1 is a protocol error; invalid PARAMS are a usage error.
  set +e
  "$rtwire" ws decode --role server --hex "$tmp/deflate.hex" >"$tmp/out"
  status=$?
  "$rtwire" ws decode --role server --hex --deflate "client_max_window_bits" "$tmp/deflate.hex" >/dev/null 2>&1
  status2=$?
  set -e
  [[ $status -eq 1 ]] && grep -q '"close_code":1002' "$tmp/out" || fail "ws decode RSV1 without --deflate"
  [[ $status2 -eq 2 ]] || fail "ws decode --deflate invalid params exit $status2"
else
  grep -q "no zlib" "$tmp/err" || fail "ws decode --deflate: $(cat "$tmp/err")"
fi

"$rtwire" ws handshake --help | grep -q "FILE" || fail "--help"
"$rtwire" --version | grep -q "^rtwire [0-9]" || fail "--version"
echo "cli ws: all checks passed"
