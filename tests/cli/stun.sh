#!/usr/bin/env bash
# The `rtwire stun decode` subcommand is a public contract: JSON shape, integrity/fingerprint
# verdicts, exit codes 0 / 2 (mismatch) / 1 (parse error, {"error":..,"offset":N}).
# Usage: stun.sh PATH/TO/rtwire
set -euo pipefail
rtwire="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# RFC 5769 vectors, as hex with arbitrary whitespace.
req='00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74 00 24 00 04 6e 00 01 ff
80 29 00 08 93 2f f9 b1 51 26 3b 36 00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2 80 28 00 04 e5 7a 3b cf'
v4='0101003c 2112a442 b7e7a701 bc34d686 fa87dfae 8022000b 74657374 20766563 746f7220
00200008 0001a147 e112a643 00080014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7 80280004 c07d4c96'
v6='01010048 2112a442 b7e7a701 bc34d686 fa87dfae 8022000b 74657374 20766563 746f7220
00200014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9 00080014 a382954e 4be67bf1 1784c97c
8292c275 bfe3ed41 80280004 c8fb0b4c'
ltc='00010060 2112a442 78ad3433 c6ad72c0 29da412e 00060012 e3839ee3 8388e383 aae38383 e382afe3
82b90000 0015001c 662f2f34 39396b39 35346436 4f4c3334 6f4c3946 53547679 36347341 0014000b
6578616d 706c652e 6f726700 00080014 f6702465 6dd64a3e 02b8e071 2e85c9a2 8ca89666'
pw='VOkJxbRl1RmTxUk/WvJxBt'

# run EXPECTED_STATUS OUTFILE ARGS...: runs rtwire, checks the exit status.
run() {
  local want="$1" out="$2"
  shift 2
  set +e
  "$rtwire" "$@" >"$out"
  local status=$?
  set -e
  [[ $status -eq $want ]] || fail "rtwire $* exited $status, want $want: $(cat "$out")"
}

# §2.2: the documented shape, checked with node (which CI has).
printf '%s' "$v4" | run 0 "$tmp/v4.json" stun decode --hex --password "$pw" -
node -e '
const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const eq = (a, b, what) => { if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(what + ": " + JSON.stringify(a)); };
eq(j.class, "success", "class"); eq(j.method, "binding", "method");
eq(j.transaction_id, "b7e7a701bc34d686fa87dfae", "transaction_id");
eq(j.attributes[0], {type: "SOFTWARE", value: "test vector"}, "SOFTWARE");
eq(j.attributes[1], {type: "XOR-MAPPED-ADDRESS", family: "IPv4", address: "192.0.2.1", port: 32853}, "XMA");
eq(j.attributes.map(a => a.type), ["SOFTWARE","XOR-MAPPED-ADDRESS","MESSAGE-INTEGRITY","FINGERPRINT"], "types");
eq(j.integrity, "ok", "integrity"); eq(j.fingerprint, "ok", "fingerprint");
' "$tmp/v4.json" || fail "stun decode JSON shape"

# §2.3: IPv6 text form.
printf '%s' "$v6" | run 0 "$tmp/v6.json" stun decode --hex --password "$pw"
grep -q '"address":"2001:db8:1234:5678:11:2233:4455:6677","port":32853' "$tmp/v6.json" ||
  fail "IPv6 address: $(cat "$tmp/v6.json")"

# §2.1 from a binary file: without a password the integrity is unchecked (exit 0); the ICE
# attributes are typed.
node -e 'process.stdout.write(Buffer.from(process.argv[1].replace(/\s+/g,""),"hex"))' "$req" >"$tmp/req.bin"
run 0 "$tmp/req.json" stun decode "$tmp/req.bin"
grep -q '"integrity":"unchecked","fingerprint":"ok"' "$tmp/req.json" || fail "unchecked: $(cat "$tmp/req.json")"
grep -q '{"type":"PRIORITY","value":1845494271}' "$tmp/req.json" || fail "PRIORITY"
grep -q '{"type":"ICE-CONTROLLED","tie_breaker":"932ff9b151263b36"}' "$tmp/req.json" || fail "ICE-CONTROLLED"
grep -q '{"type":"USERNAME","value":"evtj:h6vY"}' "$tmp/req.json" || fail "USERNAME"
run 0 "$tmp/req-ok.json" stun decode --password "$pw" - <"$tmp/req.bin"
grep -q '"integrity":"ok"' "$tmp/req-ok.json" || fail "integrity ok"

# A wrong password: mismatch, exit 2.
run 2 "$tmp/bad-pw.json" stun decode --password wrong "$tmp/req.bin"
grep -q '"integrity":"mismatch","fingerprint":"ok"' "$tmp/bad-pw.json" || fail "mismatch"

# §2.4: the long-term key from the message's own USERNAME and REALM (MD5).
printf '%s' "$ltc" | run 0 "$tmp/ltc.json" stun decode --hex --long-term --password TheMatrIX
grep -q '"integrity":"ok","fingerprint":"absent"' "$tmp/ltc.json" || fail "long-term: $(cat "$tmp/ltc.json")"
grep -q '"type":"REALM","value":"example.org"' "$tmp/ltc.json" || fail "REALM"
printf '%s' "$ltc" | run 2 "$tmp/ltc-bad.json" stun decode --hex --long-term --password TheMatrIx
grep -q '"integrity":"mismatch"' "$tmp/ltc-bad.json" || fail "long-term mismatch"

# A corrupted FINGERPRINT: mismatch, exit 2.
printf '%s' "${v4%c07d4c96}c07d4c97" | run 2 "$tmp/fp.json" stun decode --hex
grep -q '"fingerprint":"mismatch"' "$tmp/fp.json" || fail "fingerprint mismatch"

# Parse errors: {"error":..,"offset":N}, exit 1.
printf '%s 00' "$v4" | run 1 "$tmp/trailing.json" stun decode --hex
grep -q '^{"error":"datagram size is not 20 plus the STUN message length","offset":80}$' \
  "$tmp/trailing.json" || fail "trailing byte: $(cat "$tmp/trailing.json")"
printf '0001 0004 2112a442 b7e7a701bc34d686fa87dfae 0020 0000' | run 1 "$tmp/empty-xma.json" stun decode --hex
grep -q '"offset":22' "$tmp/empty-xma.json" || fail "empty XOR-MAPPED-ADDRESS: $(cat "$tmp/empty-xma.json")"
printf '00 01 zz' | run 1 "$tmp/hex.json" stun decode --hex
grep -q '^{"error":"invalid hex","offset":6}$' "$tmp/hex.json" || fail "invalid hex: $(cat "$tmp/hex.json")"

# --long-term needs --password (a usage error).
set +e
"$rtwire" stun decode --long-term "$tmp/req.bin" >/dev/null 2>&1
status=$?
set -e
[[ $status -ne 0 ]] || fail "--long-term without --password accepted"
echo "stun CLI: ok"
