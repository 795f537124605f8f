# Shared by scripts/demo, scripts/test and .ci/run: dependency installation and common paths.
# Sourced, not executed.

RTWIRE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export RTWIRE_ROOT

log() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

# ensure_packages PKG...: installs the Debian packages that are missing (apt-get, as root or
# through sudo). Already-installed packages cost nothing.
ensure_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  log "installing Debian packages: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
}

# The toolchain and the libraries the tests, examples and CLI use.
RTWIRE_BUILD_PACKAGES=(cmake ninja-build g++ pkg-config catch2 libfmt-dev libcli11-dev libasio-dev nodejs
  nlohmann-json3-dev libhiredis-dev redis-server)
# Extra for .ci/run: clang + libFuzzer runtime, Google Benchmark and the benchmark peers; the STUN
# peers (coturn's turnutils_stunclient, the classic stun client, libnice's STUN agent) and zlib
# (the CRC-32 reference of the STUN fuzz differential and benchmark); chromium and iproute2 (`ip`,
# for the network namespace) for the chat's browser test.
RTWIRE_CI_PACKAGES=(clang libclang-rt-14-dev python3 libbenchmark-dev libssl-dev libboost1.81-dev
  libwebsocketpp-dev libwslay-dev libsofia-sip-ua-dev coturn stun-client libnice-dev zlib1g-dev
  chromium iproute2)

# jobs: parallel build jobs (the machine's cores).
jobs() { nproc 2>/dev/null || echo 2; }
