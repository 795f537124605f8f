#!/usr/bin/env bash
# The `rtwire sdp` and `rtwire ice` subcommands are a public contract: JSON shape, byte-exact
# formatting, exit codes and error positions. Usage: sdp.sh PATH/TO/rtwire
set -euo pipefail
rtwire="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fixtures="$here/../sdp/fixtures"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# format(parse(x)) == x for every captured fixture, from a file and from stdin.
for sdp in "$fixtures"/*.sdp; do
  "$rtwire" sdp format "$sdp" | cmp -s - "$sdp" || fail "sdp format $(basename "$sdp")"
  "$rtwire" sdp format - <"$sdp" | cmp -s - "$sdp" || fail "sdp format - $(basename "$sdp")"
done

# sdp parse: the documented JSON shape (checked with node, which CI has).
"$rtwire" sdp parse "$fixtures/chrome_offer.sdp" >"$tmp/offer.json"
node -e '
const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const keys = ["version","origin","session_name","information","uri","emails","phones",
  "connection","bandwidths","timings","time_zones","key","attributes","media"];
for (const k of keys) if (!(k in j)) throw new Error("missing " + k);
for (const k of ["username","session_id","session_version","nettype","addrtype","address"])
  if (!(k in j.origin)) throw new Error("origin." + k);
if (j.version !== 0 || j.media.length !== 3) throw new Error("version/media");
const m = j.media[0];
for (const k of ["type","port","port_count","protocol","formats","information","connections",
  "bandwidths","key","attributes"]) if (!(k in m)) throw new Error("media." + k);
if (!j.media[0].attributes.some(a => a.name === "mid" && a.value === "0")) throw new Error("mid");
if (!j.attributes.some(a => a.name === "extmap-allow-mixed" && a.value === null))
  throw new Error("flag attribute value must be null");
' "$tmp/offer.json" || fail "sdp parse JSON shape"

# Errors: LINE:COL: message on stderr, exit 1; lenient accepts what strict refuses.
printf 'v=0\r\ns=-\r\n' >"$tmp/bad.sdp"
set +e
"$rtwire" sdp parse "$tmp/bad.sdp" >/dev/null 2>"$tmp/err"
status=$?
set -e
[[ $status -eq 1 ]] || fail "sdp parse error exit $status"
grep -Eq '^2:1: ' "$tmp/err" || fail "sdp parse error position: $(cat "$tmp/err")"
tr -d '\r' <"$fixtures/chrome_offer.sdp" >"$tmp/lf.sdp"
set +e
"$rtwire" sdp parse "$tmp/lf.sdp" >/dev/null 2>&1
status=$?
set -e
[[ $status -eq 1 ]] || fail "strict must refuse LF-only line ends"
"$rtwire" sdp format --lenient "$tmp/lf.sdp" | cmp -s - "$tmp/lf.sdp" || fail "lenient LF round trip"

# ice parse: every field, extensions in order, the priority decomposed (RFC 8445 §5.1.2.1).
"$rtwire" ice parse "candidate:842163049 1 udp 1677729535 192.0.2.3 61665 typ srflx raddr 10.0.1.1 rport 8998 generation 0 ufrag EsAw network-id 1 network-cost 10" >"$tmp/cand.json"
node -e '
const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const want = {foundation:"842163049", component:1, transport:"udp", priority:1677729535,
  address:"192.0.2.3", port:61665, type:"srflx", related_address:"10.0.1.1", related_port:8998,
  tcptype:null};
for (const [k, v] of Object.entries(want)) if (c[k] !== v) throw new Error(k + "=" + c[k]);
if (JSON.stringify(c.extensions) !== JSON.stringify([["generation","0"],["ufrag","EsAw"],
  ["network-id","1"],["network-cost","10"]])) throw new Error("extensions");
const p = c.priority_parts;
if (p.type_preference !== 100 || p.local_preference !== 30 || p.component !== 1)
  throw new Error("priority_parts");
' "$tmp/cand.json" || fail "ice parse JSON"
"$rtwire" ice parse "a=candidate:1 1 UDP 2130706431 fe80::1%eth0 9 typ host" >/dev/null ||
  fail "ice parse with a= prefix"
set +e
"$rtwire" ice parse "candidate:1 0 udp 1 192.0.2.1 9 typ host" >/dev/null 2>&1
status=$?
set -e
[[ $status -eq 1 ]] || fail "component 0 must be refused in strict mode"
"$rtwire" ice parse --lenient "candidate:1 0 udp 1 192.0.2.1 9 typ host" >/dev/null ||
  fail "component 0 accepted in lenient mode"

# ice priority (RFC 8445 §5.1.2.1: 2^24 * type + 2^8 * local + (256 - component)).
[[ "$("$rtwire" ice priority 126 65535 1)" == "2130706431" ]] || fail "ice priority"
[[ "$("$rtwire" ice priority 0 0 256)" == "0" ]] || fail "ice priority minimum"
# A non-number is called that, not "not in range"; usage errors exit 2.
for args in "a 0 1" "0 b 1" "0 0 c" "-1 0 1"; do
  set +e
  # shellcheck disable=SC2086
  "$rtwire" ice priority $args >/dev/null 2>"$tmp/err"
  status=$?
  set -e
  [[ $status -eq 2 ]] || fail "ice priority $args exit $status"
  grep -q "is not a decimal integer" "$tmp/err" || fail "ice priority $args: $(cat "$tmp/err")"
  ! grep -q "not in range" "$tmp/err" || fail "ice priority $args says not in range"
done
set +e
"$rtwire" ice priority 127 0 1 >/dev/null 2>"$tmp/err"
status=$?
set -e
[[ $status -eq 2 ]] && grep -q "not in range" "$tmp/err" || fail "ice priority 127: $(cat "$tmp/err")"

# An empty SDP is reported at line 1, column 1, like every other position (1-based).
set +e
printf '' | "$rtwire" sdp parse - >/dev/null 2>"$tmp/err"
status=$?
set -e
[[ $status -eq 1 ]] || fail "empty sdp exit $status"
grep -q "^1:1: the SDP is empty" "$tmp/err" || fail "empty sdp: $(cat "$tmp/err")"

# A strict candidate with a trailing space names the real problem and where it is.
set +e
"$rtwire" ice parse 'candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host ' >/dev/null 2>"$tmp/err"
status=$?
set -e
[[ $status -eq 1 ]] || fail "trailing space exit $status"
grep -q "^column 56: the candidate ends with whitespace" "$tmp/err" ||
  fail "trailing space: $(cat "$tmp/err")"
"$rtwire" ice parse --lenient 'candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host ' >/dev/null ||
  fail "trailing space lenient"
echo "cli sdp/ice: all checks passed"
