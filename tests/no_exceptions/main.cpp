// Built with -fno-exceptions -fno-rtti: the library's entry points must compile and work without
// exceptions or RTTI (DESIGN.md §3). Every check returns a distinct non-zero exit code on failure.
#include <rtwire/rtwire.hpp>

#include <cstdio>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "no-exceptions check failed: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  check(rtwire::condition_category().name() == std::string_view("rtwire"), "condition category");
  return failures == 0 ? 0 : 1;
}
