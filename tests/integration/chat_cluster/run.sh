#!/usr/bin/env bash
# chat_server cluster-mode tests (CI, issue #16): cluster.mjs starts its own redis-server on a
# free port (--save '' --appendonly no), chat_server nodes with --redis and --port 0, a TCP proxy
# between one node and Redis; it kills nodes and Redis, restarts Redis, runs FLUSHALL, and checks
# that no node died unexpectedly. Every check runs even when one fails. Bounded: 150 s (timeout
# signals the whole process group, so Redis and the nodes go too).
#
#   tests/integration/chat_cluster/run.sh /path/to/chat_server
#   CLUSTER_ONLY=<regex> tests/integration/chat_cluster/run.sh ...   # only the matching checks
#
# Needs node >= 20, redis-server (Debian 7.0) and the packages of ../chat (`npm ci` there when
# missing).
set -euo pipefail
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 /path/to/chat_server" >&2
  exit 2
fi
server=$(realpath "$1")
redis=${RTWIRE_REDIS_SERVER:-$(command -v redis-server || true)}
if [ -z "$redis" ] || [ ! -x "$redis" ]; then
  echo "chat_cluster/run.sh: redis-server not found (Debian package redis-server)" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/../chat/node_modules/ws" ] || [ ! -d "$here/../chat/node_modules/eventsource" ]; then
  (cd "$here/../chat" && npm ci --no-audit --no-fund --loglevel=error)
fi
cd "$here"
timeout --kill-after=5 150 node cluster.mjs --server "$server" --redis-server "$redis"
