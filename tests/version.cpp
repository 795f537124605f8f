// rtwire/version.hpp must say what project() in CMakeLists.txt says: the build fails otherwise
// (the expected numbers come from CMake as RTWIRE_PROJECT_VERSION_*), and the program checks
// the string and the packed number at run time.
#include <rtwire/version.hpp>

#include <cstdio>
#include <cstring>

static_assert(RTWIRE_VERSION_MAJOR == RTWIRE_PROJECT_VERSION_MAJOR,
              "include/rtwire/version.hpp disagrees with project() in CMakeLists.txt: run "
              "scripts/release set-version X.Y.Z");
static_assert(RTWIRE_VERSION_MINOR == RTWIRE_PROJECT_VERSION_MINOR,
              "include/rtwire/version.hpp disagrees with project() in CMakeLists.txt");
static_assert(RTWIRE_VERSION_PATCH == RTWIRE_PROJECT_VERSION_PATCH,
              "include/rtwire/version.hpp disagrees with project() in CMakeLists.txt");
static_assert(RTWIRE_VERSION ==
              RTWIRE_VERSION_MAJOR * 10000 + RTWIRE_VERSION_MINOR * 100 + RTWIRE_VERSION_PATCH);

int main() {
  if (std::strcmp(RTWIRE_VERSION_STRING, RTWIRE_PROJECT_VERSION) != 0) {
    std::fprintf(stderr, "RTWIRE_VERSION_STRING is \"%s\", project() says \"%s\"\n",
                 RTWIRE_VERSION_STRING, RTWIRE_PROJECT_VERSION);
    return 1;
  }
  return 0;
}
