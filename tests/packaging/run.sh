#!/usr/bin/env bash
# Packaging checks, all offline (CI runs this; vcpkg and Conan themselves are not installed):
#  1. every copy of the version agrees with project(); README snippets match what is built here;
#  2. `cmake --install` installs exactly tests/packaging/installed-files.txt, with no absolute
#     path inside, and adds no compile option (no -Werror) to rtwire::rtwire;
#  3. consumers of the install after moving it: find_package with g++ -std=c++20 (no warning
#     flag reaches the consumer), g++ -O3 -Werror, g++ -fno-exceptions -fno-rtti, clang++
#     -std=c++20 -Werror; pkg-config with g++ and clang++; test_package/ with plain CMake;
#  4. FetchContent from the source tree (SOURCE_DIR);
#  5. the release: in a clone of HEAD, scripts/release set-version + tag + pin, then README's
#     URL snippet (the tag's `git archive`, its SHA-256) and git-tag snippet are built, and
#     FIND_PACKAGE_ARGS is shown to prefer an installed rtwire;
#  6. ports/rtwire/portfile.cmake through tests/packaging/vcpkg_standin.cmake over that archive,
#     then find_package and pkg-config on the fixed-up tree from a clean project;
#  7. conanfile.py through the stand-in conan module (tests/packaging/conan_check.py) against the
#     real install, and test_package.cpp against the packaged include/;
#  8. scripts/release refuses a drifted version.hpp and set-version reaches every copy.
#
# Usage: tests/packaging/run.sh            run every check
#        tests/packaging/run.sh --update   first rewrite installed-files.txt from a fresh install
#                                          (after adding or removing a public header), then run
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
here=tests/packaging
update=0
if [[ ${1:-} == --update ]]; then update=1; elif [[ $# -gt 0 ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d'
  exit 2
fi

work="$root/build/packaging"
rm -rf "$work"
mkdir -p "$work"
step() { printf '\n-- %s\n' "$*" >&2; }
fail() { printf 'packaging: FAILED: %s\n' "$*" >&2; exit 1; }
version="$(sed -nE 's/^ *VERSION ([0-9]+\.[0-9]+\.[0-9]+)$/\1/p' CMakeLists.txt | head -1)"
[[ -n $version ]] || fail "no VERSION X.Y.Z line in project() of CMakeLists.txt"
# Python's byte code goes to the work directory, not next to the recipes.
export PYTHONPYCACHEPREFIX="$work/pycache"
quiet() { "$@" >"$work/last.log" 2>&1 || { cat "$work/last.log" >&2; fail "$*"; }; }

# consumer NAME [cmake args...]: configures tests/install against the moved prefix, builds and
# runs it.
consumer() {
  local name=$1
  shift
  quiet cmake -S tests/install -B "$work/$name" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "$@"
  quiet cmake --build "$work/$name"
  "$work/$name/consumer" >/dev/null || fail "consumer $name returned non-zero"
}
# no_warning_flags DIR: the consumer's compile lines carry no -W flag (rtwire adds none).
no_warning_flags() {
  if grep -E '"command".* -W[a-z]|"command".* -Werror' "$1/compile_commands.json"; then
    fail "rtwire added warning flags to a consumer ($1)"
  fi
}

step "1. versions and README snippets"
scripts/release check
python3 "$here/snippets.py" "$root" check

step "2. install: file list, relocatability, no compile options for consumers"
prefix="$work/prefix"
quiet cmake -S . -B "$work/lib" -G Ninja -DRTWIRE_BUILD_TESTS=OFF -DRTWIRE_BUILD_EXAMPLES=OFF \
  -DCMAKE_INSTALL_PREFIX="$prefix"
quiet cmake --install "$work/lib"
(cd "$prefix" && find . \( -type f -o -type l \) | sed 's|^\./||' | LC_ALL=C sort) >"$work/installed-files.txt"
if ((update)); then
  cp "$work/installed-files.txt" "$here/installed-files.txt"
  echo "packaging: $here/installed-files.txt rewritten ($(wc -l <"$here/installed-files.txt") files)"
fi
diff -u "$here/installed-files.txt" "$work/installed-files.txt" ||
  fail "the install differs from $here/installed-files.txt (new header? run $0 --update)"
if grep -rl "$prefix" "$prefix"; then fail "absolute install paths in the files above"; fi
if grep -q INTERFACE_COMPILE_OPTIONS "$prefix/share/cmake/rtwire/rtwireTargets.cmake"; then
  fail "rtwire::rtwire exports compile options to its consumers"
fi
mv "$prefix" "$prefix-moved"
prefix="$prefix-moved"

step "3. consumers of the moved install"
consumer find-gcc -DCMAKE_CXX_COMPILER=g++ -DCMAKE_CXX_STANDARD=20 -DCMAKE_CXX_EXTENSIONS=OFF
grep -q -- '-std=c++20' "$work/find-gcc/compile_commands.json" || fail "g++ consumer is not at -std=c++20"
no_warning_flags "$work/find-gcc"
consumer o3-werror-gcc -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="-O3 -Wall -Wextra -Wpedantic -Werror"
consumer no-exceptions-gcc -DCMAKE_CXX_COMPILER=g++ -DCMAKE_CXX_FLAGS="-fno-exceptions -fno-rtti"
consumer find-clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_STANDARD=20 -DCMAKE_CXX_EXTENSIONS=OFF \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror"
grep -q -- '-std=c++20' "$work/find-clang/compile_commands.json" || fail "clang++ consumer is not at -std=c++20"
# pkg-config, exactly as README shows it, with both compilers.
export PKG_CONFIG_PATH="$prefix/share/pkgconfig"
pkg-config --validate rtwire
[[ $(pkg-config --modversion rtwire) == "$version" ]] || fail "rtwire.pc version is not $version"
mkdir -p "$work/pc" && cp tests/install/main.cpp "$work/pc/app.cpp"
# shellcheck disable=SC2046  # the cflags are meant to split into arguments
(
  cd "$work/pc"
  g++ -std=c++20 $(pkg-config --cflags rtwire) app.cpp -o app
  ./app >/dev/null
  clang++ -std=c++20 $(pkg-config --cflags rtwire) app.cpp -o app-clang
  ./app-clang >/dev/null
) || fail "pkg-config consumers"
unset PKG_CONFIG_PATH
# test_package/ (the Conan test consumer) with plain CMake.
quiet cmake -S test_package -B "$work/test_package" -G Ninja -DCMAKE_PREFIX_PATH="$prefix"
quiet cmake --build "$work/test_package"
"$work/test_package/test_package" | grep -x "rtwire $version: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" >/dev/null ||
  fail "test_package output"

step "4. FetchContent from the source tree"
quiet cmake -S tests/install/fetchcontent -B "$work/fetch-source" -G Ninja \
  -DRTWIRE_SOURCE_DIR="$root" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
quiet cmake --build "$work/fetch-source"
"$work/fetch-source/consumer" >/dev/null || fail "FetchContent SOURCE_DIR consumer"
no_warning_flags "$work/fetch-source"

step "5. release: set-version, tag, pin; README's URL and git-tag snippets"
clone="$work/clone"
git init -q "$clone"
git -C "$clone" fetch -q "$root" HEAD
git -C "$clone" checkout -q FETCH_HEAD
(cd "$clone" && scripts/release set-version "$version" >/dev/null)
git -C "$clone" -c user.name=ci -c user.email=ci@localhost commit -q -a --allow-empty -m "rtwire $version"
git -C "$clone" -c user.name=ci -c user.email=ci@localhost tag -a "v$version" -m "rtwire $version"
(cd "$clone" && scripts/release pin "$version" >/dev/null)
git -C "$clone" -c user.name=ci -c user.email=ci@localhost commit -q -am "pin v$version hashes"
(cd "$clone" && scripts/release check >/dev/null) || fail "scripts/release check after pin"
archive="$clone/build/release-archive/rtwire-$version.tar.gz"
sha256="$(sha256sum "$archive" | cut -d' ' -f1)"
sha512="$(sha512sum "$archive" | cut -d' ' -f1)"
grep -q "URL_HASH SHA256=$sha256\$" "$clone/README.md" || fail "pin did not write the archive's SHA-256"
grep -q "SHA512 $sha512\$" "$clone/ports/rtwire/portfile.cmake" || fail "pin did not write the SHA-512"
tar -tzf "$archive" | grep -x "rtwire-$version/include/rtwire/version.hpp" >/dev/null ||
  fail "the archive's top directory is not rtwire-$version/"
# snippet_project NAME SNIPPET-FILE: a project whose app links rtwire through README's snippet.
snippet_project() {
  mkdir -p "$work/$1"
  cp tests/install/main.cpp "$work/$1/main.cpp"
  {
    cat <<'CMAKE'
cmake_minimum_required(VERSION 3.24)
project(readme_snippet LANGUAGES CXX)
add_executable(app main.cpp)
CMAKE
    cat "$2"
    cat <<'CMAKE'
if(rtwire_SOURCE_DIR)
  file(WRITE "${CMAKE_BINARY_DIR}/origin" "fetched")
else()
  file(WRITE "${CMAKE_BINARY_DIR}/origin" "found ${rtwire_DIR}")
endif()
CMAKE
  } >"$work/$1/CMakeLists.txt"
}
python3 "$here/snippets.py" "$clone" extract fetchcontent-url |
  sed "s|https://github.com/rtwire/rtwire/archive/refs/tags/v$version.tar.gz|file://$archive|" \
    >"$work/url.cmake"
grep -q "file://$archive" "$work/url.cmake" || fail "README's URL snippet does not name the v$version archive"
snippet_project fetch-url "$work/url.cmake"
quiet cmake -S "$work/fetch-url" -B "$work/fetch-url/build" -G Ninja
quiet cmake --build "$work/fetch-url/build"
"$work/fetch-url/build/app" >/dev/null || fail "FetchContent URL consumer"
[[ $(cat "$work/fetch-url/build/origin") == fetched ]] || fail "the URL snippet did not fetch"
# FIND_PACKAGE_ARGS: with an installed rtwire on the prefix path, that one wins.
quiet cmake -S "$work/fetch-url" -B "$work/fetch-url/build-found" -G Ninja -DCMAKE_PREFIX_PATH="$prefix"
[[ $(cat "$work/fetch-url/build-found/origin") == "found $prefix/share/cmake/rtwire" ]] ||
  fail "FIND_PACKAGE_ARGS did not prefer the installed rtwire"
# A tampered hash must be refused.
sed "s|SHA256=$sha256|SHA256=$(printf '0%.0s' {1..64})|" "$work/url.cmake" >"$work/url-bad.cmake"
snippet_project fetch-url-bad "$work/url-bad.cmake"
if cmake -S "$work/fetch-url-bad" -B "$work/fetch-url-bad/build" -G Ninja >"$work/last.log" 2>&1; then
  fail "FetchContent accepted a wrong URL_HASH"
fi
python3 "$here/snippets.py" "$clone" extract fetchcontent-git |
  sed "s|https://github.com/rtwire/rtwire.git|file://$clone|" >"$work/git.cmake"
grep -q "GIT_TAG v$version\$" "$work/git.cmake" || fail "README's git snippet does not pin v$version"
snippet_project fetch-git "$work/git.cmake"
quiet cmake -S "$work/fetch-git" -B "$work/fetch-git/build" -G Ninja
quiet cmake --build "$work/fetch-git/build"
"$work/fetch-git/build/app" >/dev/null || fail "FetchContent git consumer"

step "6. vcpkg port through the stand-in"
quiet cmake -DPORTFILE="$clone/ports/rtwire/portfile.cmake" -DARCHIVE="$archive" \
  -DWORK="$work/vcpkg" -P "$here/vcpkg_standin.cmake"
vcpkg_tree="$work/vcpkg/packages/rtwire_x64-linux"
python3 - "$root/ports/rtwire/vcpkg.json" "$version" <<'PY'
import json, sys
port = json.load(open(sys.argv[1]))
missing = [k for k in ("name", "version", "description", "homepage", "license") if not port.get(k)]
assert not missing, f"vcpkg.json lacks {missing}"
assert port["name"] == "rtwire" and port["license"] == "MIT", port
assert port["version"] == sys.argv[2], f"vcpkg.json version {port['version']} != {sys.argv[2]}"
hosts = {d["name"] for d in port.get("dependencies", []) if isinstance(d, dict) and d.get("host")}
assert {"vcpkg-cmake", "vcpkg-cmake-config"} <= hosts, f"host dependencies {hosts}"
PY
consumer_prefix="$prefix"
prefix="$vcpkg_tree"
consumer vcpkg-find -DCMAKE_CXX_COMPILER=g++
grep -q "rtwire_DIR:PATH=$vcpkg_tree/share/rtwire" "$work/vcpkg-find/CMakeCache.txt" ||
  fail "find_package did not use the vcpkg tree's share/rtwire"
prefix="$consumer_prefix"
cflags="$(PKG_CONFIG_PATH="$vcpkg_tree/share/pkgconfig" pkg-config --cflags rtwire)"
include_dir="${cflags#-I}"
[[ $cflags == -I* && -d ${include_dir% } && $(cd "${include_dir% }" && pwd -P) == "$vcpkg_tree/include" ]] ||
  fail "the fixed-up rtwire.pc gives '$cflags'"

step "7. Conan recipe through the stand-in"
python3 -m py_compile conanfile.py test_package/conanfile.py
python3 "$here/conan_check.py" "$root" "$prefix" "$work/conan-package"
g++ -std=c++20 -Wall -Werror -I"$work/conan-package/include" test_package/test_package.cpp \
  -o "$work/conan-test_package"
"$work/conan-test_package" >/dev/null || fail "test_package against the Conan package"

step "8. scripts/release: a drifted copy is refused, a version bump reaches every copy"
cp "$clone/include/rtwire/version.hpp" "$work/version.hpp.orig"
sed -i 's/^#define RTWIRE_VERSION_PATCH .*/#define RTWIRE_VERSION_PATCH 99/' "$clone/include/rtwire/version.hpp"
if (cd "$clone" && scripts/release check >"$work/last.log" 2>&1); then
  fail "scripts/release check accepted a version.hpp that disagrees with project()"
fi
cp "$work/version.hpp.orig" "$clone/include/rtwire/version.hpp"
IFS=. read -r major minor _ <<<"$version"
bump="$major.$((minor + 1)).0"
(cd "$clone" && scripts/release set-version "$bump" >/dev/null && scripts/release check >/dev/null) ||
  fail "set-version $bump left a copy behind"
grep -q "^  VERSION $bump\$" "$clone/CMakeLists.txt" || fail "set-version did not change project()"
grep -q "^#define RTWIRE_VERSION_STRING \"$bump\"\$" "$clone/include/rtwire/version.hpp" ||
  fail "set-version did not change version.hpp"
grep -q "\"version\": \"$bump\"" "$clone/ports/rtwire/vcpkg.json" || fail "set-version did not change vcpkg.json"
grep -q "^rtwire/$bump\$" "$clone/README.md" || fail "set-version did not change README's conanfile.txt"
grep -q "^## \[$bump\] - " "$clone/CHANGELOG.md" || fail "set-version did not open a CHANGELOG section"

echo "packaging: all checks passed (rtwire $version)"
