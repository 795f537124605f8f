#!/usr/bin/env bash
# TURN in a real browser (CI): Debian's chromium, driven by playwright-core (the chat browser
# tests' node_modules), two pages with iceTransportPolicy 'relay' connecting through
# examples/turn_server and exchanging data-channel messages. The ICE servers come from
# `chat_server --turn HOST:PORT --turn-secret S`'s GET /config (TURN REST API credentials), the
# TURN server checks them with --static-auth-secret S.
#
#   tests/integration/turn/browser.sh /path/to/turn_server /path/to/chat_server
#
# Everything runs inside private network and PID namespaces (root needed), as in
# tests/integration/chat/browser.sh: `lo` plus a veth with 192.0.2.10/24. The relay addresses are
# 192.0.2.10, which is also the server's own address, so the peer policy denies them by default;
# --allow-peer 192.0.2.10/32 lets the two pages' relays talk (an operator allow wins).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 /path/to/turn_server /path/to/chat_server" >&2
  exit 2
fi
turn=$(realpath "$1")
chat=$(realpath "$2")
chromium=${RTWIRE_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "browser.sh: $chromium not found (Debian package chromium)" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
modules="$here/../chat/browser"
source "$here/../netns.sh"
if [ "${RTWIRE_TURN_IN_NETNS:-}" != 1 ]; then
  netns_reenter RTWIRE_TURN_IN_NETNS "${RTWIRE_TURN_BROWSER_TIMEOUT:-120}" "$modules" \
    "$0" "$turn" "$chat"
fi
netns_network

tmp=$(mktemp -d)
"$turn" --host 192.0.2.10 --port 3478 --realm rtwire.test --static-auth-secret browser-secret \
  --relay-ip 192.0.2.10 --allow-peer 192.0.2.10/32 --min-port 40000 --max-port 40199 \
  >"$tmp/turn.log" 2>&1 &
"$chat" --host 192.0.2.10 --port 8090 --turn 192.0.2.10:3478 --turn-secret browser-secret \
  >"$tmp/chat.log" 2>&1 &
status=0
node "$here/browser.mjs" --chromium "$chromium" --base http://192.0.2.10:8090 || status=1
allocations=$(grep -c '^allocation: user=[0-9]*:chat client=192\.0\.2\.10:[0-9]*/udp' "$tmp/turn.log" || true)
echo "# turn_server log: $allocations allocation(s)"
if [ "$allocations" -lt 2 ]; then
  echo "FAIL: expected an allocation per page in the turn_server log:" >&2
  cat "$tmp/turn.log" >&2
  status=1
fi
exit $status
