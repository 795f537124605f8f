#!/usr/bin/env python3
"""README.md's code snippets, checked so that what a user copies is what CI tests.

A snippet is a fenced code block preceded by a marker line `<!-- snippet: KEY -->`:
  - KEY is a file of the repository (e.g. tests/install/CMakeLists.txt): the block's lines must
    appear, in order and contiguous (indentation aside), in that file, which CI builds or runs;
  - KEY is a name: fetchcontent-url, fetchcontent-git (run.sh extracts and builds them),
    vcpkg-manifest (valid JSON depending on the rtwire port), conanfile-txt (requires
    rtwire/<project version> with the CMake generators).

  snippets.py ROOT check           verify every snippet (and that each named one exists)
  snippets.py ROOT extract NAME    print one snippet's code
"""
import configparser
import json
import os
import re
import sys

NAMED = ("fetchcontent-url", "fetchcontent-git", "vcpkg-manifest", "conanfile-txt")


def snippets(root):
    lines = open(os.path.join(root, "README.md"), encoding="utf-8").read().split("\n")
    found = {}
    i = 0
    while i < len(lines):
        marker = re.fullmatch(r"<!-- snippet: (\S+) -->", lines[i].strip())
        i += 1
        if not marker:
            continue
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or not lines[i].startswith("```"):
            sys.exit(f"snippets: marker {marker.group(1)} is not followed by a code block")
        start = i + 1
        end = start
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        key = marker.group(1)
        if key in found:
            sys.exit(f"snippets: two snippets named {key}")
        found[key] = lines[start:end]
        i = end + 1
    return found


def contains(haystack, needle):
    """needle's lines appear contiguous in haystack (indentation aside)."""
    haystack = [line.strip() for line in haystack]
    needle = [line.strip() for line in needle]
    n = len(needle)
    return any(haystack[k:k + n] == needle for k in range(len(haystack) - n + 1))


def check(root):
    version = re.search(r"project\(\s*rtwire\s+VERSION\s+(\d+\.\d+\.\d+)",
                        open(os.path.join(root, "CMakeLists.txt")).read()).group(1)
    found = snippets(root)
    problems = []
    for name in NAMED:
        if name not in found:
            problems.append(f"README.md has no snippet '{name}'")
    for key, block in found.items():
        if key in NAMED:
            continue
        path = os.path.join(root, key)
        if not os.path.isfile(path):
            problems.append(f"snippet '{key}': no such file, and not one of {NAMED}")
            continue
        if not contains(open(path, encoding="utf-8").read().split("\n"), block):
            problems.append(f"snippet '{key}': README's block is not in {key} (edit both)")
    if "vcpkg-manifest" in found:
        try:
            manifest = json.loads("\n".join(found["vcpkg-manifest"]))
            if "rtwire" not in manifest.get("dependencies", []):
                problems.append("vcpkg-manifest: 'rtwire' is not a dependency")
        except json.JSONDecodeError as e:
            problems.append(f"vcpkg-manifest: not JSON: {e}")
    if "conanfile-txt" in found:
        ini = configparser.ConfigParser(allow_no_value=True)
        ini.read_string("\n".join(found["conanfile-txt"]))
        requires = list(ini["requires"]) if ini.has_section("requires") else []
        generators = list(ini["generators"]) if ini.has_section("generators") else []
        if requires != [f"rtwire/{version}"]:
            problems.append(f"conanfile-txt: requires {requires}, expected rtwire/{version}")
        if not {"cmakedeps", "cmaketoolchain"} <= {g.lower() for g in generators}:
            problems.append(f"conanfile-txt: generators {generators} lack CMakeDeps/CMakeToolchain")
    if problems:
        sys.exit("snippets: FAILED\n  " + "\n  ".join(problems))
    print(f"snippets: {len(found)} README snippets match what CI builds")


def main(argv):
    if len(argv) == 2 and argv[1] == "check":
        check(argv[0])
    elif len(argv) == 3 and argv[1] == "extract":
        found = snippets(argv[0])
        if argv[2] not in found:
            sys.exit(f"snippets: README.md has no snippet '{argv[2]}'")
        print("\n".join(found[argv[2]]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
