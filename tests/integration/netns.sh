# Sourced by the browser tests (tests/integration/{chat,turn}/browser.sh): run the calling script
# again inside private network and PID namespaces, where WebRTC has a routable address.
#
#   source tests/integration/netns.sh
#   netns_reenter MARKER_VAR TIMEOUT_S NODE_MODULES_DIR "$0" ARGS...   # outside: does not return
#   netns_network                                                      # inside: lo + 192.0.2.10/24
#
# Outside the namespace the node modules are installed first (the namespace has no route to the
# registry); root is needed (sudo otherwise).

netns_reenter() {
  local marker=$1 limit=$2 modules=$3
  shift 3
  if [ ! -d "$modules/node_modules/playwright-core" ]; then
    (cd "$modules" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  exec timeout --kill-after=10 "$limit" \
    "${sudo[@]}" unshare --net --pid --fork --mount-proc --kill-child \
    env "$marker=1" bash "$@"
}

# Inside the namespace (PID 1's child): loopback, and a veth with 192.0.2.10/24 and a default
# route, so that browsers gather a host candidate that is not loopback.
netns_network() {
  ip link set lo up
  ip link add rtwire0 type veth peer name rtwire1
  ip addr add 192.0.2.10/24 dev rtwire0
  ip link set rtwire0 up
  ip link set rtwire1 up
  ip route add default via 192.0.2.1 dev rtwire0
}
