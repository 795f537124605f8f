#!/usr/bin/env bash
# Browser check of the chat cluster (CI, issue #16): two chromium pages (playwright-core) on two
# chat_server nodes of one redis-server chat in one room. Builds nothing. Runs, like
# ../chat/browser.sh, inside private network and PID namespaces (root needed): when it ends, the
# namespace's init exits and the kernel kills Redis, the nodes and the browser. Bounded: 120 s.
#
#   tests/integration/chat_cluster/browser.sh /path/to/chat_server
set -euo pipefail
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 /path/to/chat_server" >&2
  exit 2
fi
server=$(realpath "$1")
chromium=${RTWIRE_CHROMIUM:-/usr/bin/chromium}
redis=${RTWIRE_REDIS_SERVER:-$(command -v redis-server || true)}
for bin in "$chromium" "$redis"; do
  if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "chat_cluster/browser.sh: chromium or redis-server not found (Debian packages chromium, redis-server)" >&2
    exit 2
  fi
done

here=$(cd "$(dirname "$0")" && pwd)
source "$here/../netns.sh"
if [ "${RTWIRE_CHAT_CLUSTER_IN_NETNS:-}" != 1 ]; then
  netns_reenter RTWIRE_CHAT_CLUSTER_IN_NETNS 120 "$here/../chat/browser" "$0" "$server"
fi
netns_network

cd "$here"
node browser.mjs --server "$server" --redis-server "$redis" --chromium "$chromium"
