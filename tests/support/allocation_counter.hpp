// Counts the heap allocations of a test program, and the bytes they hold, to prove that
// steady-state parsing allocates nothing and that memory_usage() figures are exact. Include it
// from exactly one source file of the program: it replaces the global operator new and delete
// (every non-aligned overload, so that no block crosses allocators).
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
/// Bytes currently allocated through operator new (requested sizes).
inline std::atomic<std::size_t> live_bytes{0};
/// The highest live_bytes seen since the last reset_peak().
inline std::atomic<std::size_t> peak_bytes{0};

/// Starts a new peak measurement at the current live_bytes, and returns that baseline.
inline std::size_t reset_peak() noexcept {
  const std::size_t now = live_bytes.load();
  peak_bytes.store(now);
  return now;
}

#ifdef RTWIRE_TEST_ASAN
inline constexpr bool allocation_counting = false;
#else
inline constexpr bool allocation_counting = true;
#endif

namespace detail {

// Each block carries its size in a header aligned for any type.
inline constexpr std::size_t header = alignof(std::max_align_t);

inline void* counted_new(std::size_t n) noexcept {
  void* raw = std::malloc(n + header);
  if (raw == nullptr) return nullptr;
  *static_cast<std::size_t*>(raw) = n;
  allocations.fetch_add(1, std::memory_order_relaxed);
  const std::size_t now = live_bytes.fetch_add(n, std::memory_order_relaxed) + n;
  std::size_t peak = peak_bytes.load(std::memory_order_relaxed);
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return static_cast<char*>(raw) + header;
}

inline void counted_delete(void* p) noexcept {
  if (p == nullptr) return;
  void* raw = static_cast<char*>(p) - header;
  live_bytes.fetch_sub(*static_cast<std::size_t*>(raw), std::memory_order_relaxed);
  std::free(raw);
}

}  // namespace detail
}  // namespace rtwire::test

#ifndef RTWIRE_TEST_ASAN
// GCC pairs the library's inlined ::operator new with the free() below and warns; the pair is
// consistent (every replaced new goes through counted_new, every delete through counted_delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  if (void* p = rtwire::test::detail::counted_new(n)) return p;
  std::abort();  // tests never exhaust memory; no exception path needed
}
void* operator new[](std::size_t n) {
  if (void* p = rtwire::test::detail::counted_new(n)) return p;
  std::abort();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return rtwire::test::detail::counted_new(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return rtwire::test::detail::counted_new(n);
}
void operator delete(void* p) noexcept {
  rtwire::test::detail::counted_delete(p);
}
void operator delete[](void* p) noexcept {
  rtwire::test::detail::counted_delete(p);
}
void operator delete(void* p, std::size_t) noexcept {
  rtwire::test::detail::counted_delete(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  rtwire::test::detail::counted_delete(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  rtwire::test::detail::counted_delete(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  rtwire::test::detail::counted_delete(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif
