#!/usr/bin/env bash
# SSE integration tests (CI): the differential test against eventsource-parser and the resume
# test with the npm eventsource client against examples/sse_server. Builds nothing.
#
#   tests/integration/sse/run.sh /path/to/rtwire /path/to/sse_server
#
# Needs node >= 20 and the packages pinned in package-lock.json (installed with `npm ci` when
# node_modules is missing). Exits non-zero if any test fails.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 /path/to/rtwire /path/to/sse_server" >&2
  exit 2
fi
cli=$(realpath "$1")
server=$(realpath "$2")
for bin in "$cli" "$server"; do
  if [ ! -x "$bin" ]; then
    echo "run.sh: $bin is not an executable" >&2
    exit 2
  fi
done

cd "$(dirname "$0")"
if [ ! -d node_modules/eventsource-parser ] || [ ! -d node_modules/eventsource ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

status=0
node differential.mjs "$cli" --streams "${RTWIRE_SSE_DIFF_STREAMS:-1000}" || status=1
node resume.mjs "$server" || status=1
exit $status
