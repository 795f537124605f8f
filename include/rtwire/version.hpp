// rtwire — the library version, for #if checks and for printing.
//
// The one source of the version is `project(rtwire VERSION ...)` in CMakeLists.txt. This header
// is committed (not generated) so that every way of getting rtwire sees it: the CMake install,
// FetchContent, vcpkg, Conan (which copies include/ as is) and a plain -I on a checkout.
// scripts/release writes it from project(), and the build fails when the two disagree
// (tests/version.cpp), so they cannot drift apart.
//
//   #include <rtwire/version.hpp>
//   #if RTWIRE_VERSION < 200  // older than 0.2.0
//   ...
//   std::printf("rtwire %s\n", RTWIRE_VERSION_STRING);  // "rtwire 0.1.0"
#pragma once

#define RTWIRE_VERSION_MAJOR 0
#define RTWIRE_VERSION_MINOR 1
#define RTWIRE_VERSION_PATCH 0
#define RTWIRE_VERSION_STRING "0.1.0"

/// The version as one comparable number: MAJOR * 10000 + MINOR * 100 + PATCH (0.1.0 is 100).
#define RTWIRE_VERSION \
  (RTWIRE_VERSION_MAJOR * 10000 + RTWIRE_VERSION_MINOR * 100 + RTWIRE_VERSION_PATCH)
