// Counts every heap allocation of a test program, to prove that steady-state parsing allocates
// nothing. Include it from exactly one source file of the program: it replaces the global
// operator new and delete.
//
// Not installed under AddressSanitizer, which provides operator new itself; tests then skip their
// allocation checks (see allocation_counting).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define RTWIRE_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RTWIRE_TEST_ASAN 1
#endif
#endif

namespace rtwire::test {

/// Allocations so far (operator new calls).
inline std::atomic<std::size_t> allocations{0};

#ifdef RTWIRE_TEST_ASAN
inline constexpr bool allocation_counting = false;
#else
inline constexpr bool allocation_counting = true;
#endif

}  // namespace rtwire::test

#ifndef RTWIRE_TEST_ASAN
// GCC pairs the library's inlined ::operator new with the free() below and warns; this pair is
// consistent (new = malloc, delete = free).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t size) {
  rtwire::test::allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  std::abort();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif
