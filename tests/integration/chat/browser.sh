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
if [ "${RTWIRE_CHAT_IN_NETNS:-}" != 1 ]; then
  # Outside the namespace: dependencies first (the namespace has no route to the registry).
  if [ ! -d "$here/browser/node_modules/playwright-core" ]; then
    (cd "$here/browser" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  exec timeout --kill-after=10 "${RTWIRE_CHAT_BROWSER_TIMEOUT:-420}" \
    "${sudo[@]}" unshare --net --pid --fork --mount-proc --kill-child \
    env RTWIRE_CHAT_IN_NETNS=1 bash "$0" "$server" "${args[@]}"
fi

# Inside the namespace (PID 1's child): the network WebRTC needs.
ip link set lo up
ip link add rtwire0 type veth peer name rtwire1
ip addr add 192.0.2.10/24 dev rtwire0
ip link set rtwire0 up
ip link set rtwire1 up
ip route add default via 192.0.2.1 dev rtwire0

cd "$here"
node browser.mjs --server "$server" --chromium "$chromium" "${args[@]}"
