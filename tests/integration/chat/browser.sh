#!/usr/bin/env bash
# Browser tests of the chat (CI): Debian's chromium, driven by playwright-core, against
# examples/chat's chat_server: every forced transport, the automatic fallback, resume after a
# dropped connection (on each transport and across transports), XSS payloads, and the WebRTC
# mesh (data channels between pages). Builds nothing.
#
#   tests/integration/chat/browser.sh /path/to/chat_server [--screenshot docs/chat.png]
#
# Everything (server, browser, the test's TCP proxies) runs inside private network and PID
# namespaces (root needed): WebRTC gathers no candidates on loopback alone, so the namespace holds
# `lo` plus one veth pair with 192.0.2.10/24 (RFC 5737 documentation range) and a default route
# through it; when the test ends, the namespace's init exits and the kernel kills every process
# left in it. A global timeout bounds the whole run. Exits non-zero if any check fails.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 /path/to/chat_server [--screenshot PATH]" >&2
  exit 2
fi
server=$(realpath "$1")
shift
if [ ! -x "$server" ]; then
  echo "browser.sh: $server is not an executable" >&2
  exit 2
fi
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --screenshot)
      mkdir -p "$(dirname "$2")"
      args+=(--screenshot "$(realpath "$2")")
      shift 2
      ;;
    *)
      echo "browser.sh: unknown option $1" >&2
      exit 2
      ;;
  esac
done
chromium=${RTWIRE_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "browser.sh: $chromium not found (Debian package chromium)" >&2
  exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
source "$here/../netns.sh"
if [ "${RTWIRE_CHAT_IN_NETNS:-}" != 1 ]; then
  netns_reenter RTWIRE_CHAT_IN_NETNS "${RTWIRE_CHAT_BROWSER_TIMEOUT:-420}" "$here/browser" \
    "$0" "$server" "${args[@]}"
fi
netns_network

cd "$here"
node browser.mjs --server "$server" --chromium "$chromium" "${args[@]}"
