#!/usr/bin/env bash
# The `rtwire sse` subcommands are a public contract: one JSON line per dispatched event and per
# valid retry line, the final "end" line, errors on limits, and the encoder's output bytes.
# Usage: sse.sh PATH/TO/rtwire
set -euo pipefail
rtwire="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# A stream with every field kind, CRLF/CR/LF line ends, a comment, an invalid retry, an id-only
# block, and an unfinished event at the end (discarded, its id never committed).
printf '\xef\xbb\xbf: comment\r\nevent: greet\r\ndata: hello\r\ndata: world\r\nid: 7\r\n\r\nretry: 2000x\nretry: 1500\ndata:plain\rid\r\r\nid: 9\n\ndata: lost\nid: 10\n' >"$tmp/stream"
cat >"$tmp/expected" <<'JSON'
{"type":"greet","data":"hello\nworld","id":"7"}
{"retry":1500}
{"type":"message","data":"plain","id":""}
{"end":{"last_event_id":"9","retry":1500}}
JSON
for chunk in 0 1 3; do
  args=()
  if ((chunk > 0)); then args=(--chunk "$chunk"); fi
  "$rtwire" sse decode "${args[@]}" "$tmp/stream" >"$tmp/out" || fail "decode exit (chunk $chunk)"
  diff -u "$tmp/expected" "$tmp/out" || fail "decode output (chunk $chunk)"
done
"$rtwire" sse decode - <"$tmp/stream" | diff -q - "$tmp/expected" >/dev/null || fail "decode -"

# --last-event-id carries the previous connection's id in; retry is null when never set.
printf 'data: x\n\n' | "$rtwire" sse decode --last-event-id 41 >"$tmp/out"
printf '%s\n' '{"type":"message","data":"x","id":"41"}' '{"end":{"last_event_id":"41","retry":null}}' |
  diff -u - "$tmp/out" || fail "decode --last-event-id"

# A limit: {"error":...} as the last line and exit 1.
head -c 5000 /dev/zero | tr '\0' 'a' | sed 's/^/data: /' >"$tmp/long"
set +e
"$rtwire" sse decode --max-line 1024 "$tmp/long" >"$tmp/out"
status=$?
set -e
[[ $status -eq 1 ]] || fail "limit exit $status"
tail -n 1 "$tmp/out" | grep -q '^{"error":' || fail "limit output: $(tail -n 1 "$tmp/out")"

# encode: JSON lines in, event stream out; data split on every line ending.
printf '%s\n' '{"comment":"hi"}' '{"id":"1","event":"e","data":"a\r\nb\rc","retry":10}' '{"data":""}' |
  "$rtwire" sse encode >"$tmp/out"
printf ': hi\nretry: 10\nid: 1\nevent: e\ndata: a\ndata: b\ndata: c\n\ndata: \n\n' |
  cmp -s - "$tmp/out" || fail "encode output: $(od -c "$tmp/out" | head -5)"
# ... and decoding it gives the events back.
"$rtwire" sse decode "$tmp/out" >"$tmp/decoded"
printf '%s\n' '{"retry":10}' '{"type":"e","data":"a\nb\nc","id":"1"}' \
  '{"type":"message","data":"","id":"1"}' '{"end":{"last_event_id":"1","retry":10}}' |
  diff -u - "$tmp/decoded" || fail "encode/decode round trip"
# An id with a line break is an error, never silently stripped: message on stderr, exit 1.
set +e
printf '%s\n' '{"id":"a\nb","data":"x"}' | "$rtwire" sse encode >/dev/null 2>"$tmp/err"
status=$?
set -e
[[ $status -eq 1 ]] || fail "unencodable exit $status"
[[ -s "$tmp/err" ]] || fail "unencodable: no message"
# An unknown field is an error too (a typo would otherwise drop the event): exit 1, nothing for
# that line, the field named on stderr.
set +e
printf '%s\n' '{"data":"kept"}' '{"foo":"bar"}' '{"data":"never"}' |
  "$rtwire" sse encode >"$tmp/out" 2>"$tmp/err"
status=$?
set -e
[[ $status -eq 1 ]] || fail "unknown field exit $status"
printf 'data: kept\n\n' | cmp -s - "$tmp/out" || fail "unknown field output: $(cat "$tmp/out")"
grep -q 'line 2: unknown field "foo"' "$tmp/err" || fail "unknown field message: $(cat "$tmp/err")"
echo "cli sse: all checks passed"
