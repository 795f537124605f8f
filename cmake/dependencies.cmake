# Third-party packages for tests, benchmarks, examples and fuzzing (never for the library).
# find_package() first (Debian: catch2, libfmt-dev, libbenchmark-dev, libcli11-dev,
# nlohmann-json3-dev); FetchContent only as the fallback for users online.
include(FetchContent)

if(RTWIRE_BUILD_TESTS)
  # Unversioned on purpose: Debian ships Catch2 2.13, elsewhere v3; tests/catch.hpp shims both.
  FetchContent_Declare(
    Catch2
    GIT_REPOSITORY https://github.com/catchorg/Catch2.git
    GIT_TAG v3.7.1
    GIT_SHALLOW TRUE
    FIND_PACKAGE_ARGS)
  FetchContent_MakeAvailable(Catch2)
endif()

if(RTWIRE_BUILD_TESTS OR RTWIRE_BUILD_EXAMPLES)
  FetchContent_Declare(
    fmt
    GIT_REPOSITORY https://github.com/fmtlib/fmt.git
    GIT_TAG 11.0.2
    GIT_SHALLOW TRUE
    FIND_PACKAGE_ARGS)
  FetchContent_MakeAvailable(fmt)
endif()

if(RTWIRE_BUILD_EXAMPLES)
  FetchContent_Declare(
    CLI11
    GIT_REPOSITORY https://github.com/CLIUtils/CLI11.git
    GIT_TAG v2.4.2
    GIT_SHALLOW TRUE
    FIND_PACKAGE_ARGS)
  FetchContent_Declare(
    nlohmann_json
    GIT_REPOSITORY https://github.com/nlohmann/json.git
    GIT_TAG v3.11.3
    GIT_SHALLOW TRUE
    FIND_PACKAGE_ARGS)
  FetchContent_MakeAvailable(CLI11 nlohmann_json)
endif()

if(RTWIRE_BUILD_BENCH)
  set(BENCHMARK_ENABLE_TESTING OFF CACHE BOOL "" FORCE)
  set(BENCHMARK_ENABLE_GTEST_TESTS OFF CACHE BOOL "" FORCE)
  FetchContent_Declare(
    benchmark
    GIT_REPOSITORY https://github.com/google/benchmark.git
    GIT_TAG v1.9.0
    GIT_SHALLOW TRUE
    FIND_PACKAGE_ARGS)
  FetchContent_MakeAvailable(benchmark)
endif()
