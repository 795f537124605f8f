// rtwire — constant-time comparison of secrets (MACs, tokens).
//
//   if (rtwire::ct_equal(received_mac, expected_mac)) accept();
//
// The time taken depends only on the lengths, never on where the first differing byte is, so a
// peer that measures the answer time learns nothing about how much of a forged MAC was right.
// The lengths themselves are not secret (a MAC's length is public), so unequal lengths return at
// once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "rtwire/core/bytes.hpp"

namespace rtwire {

/// True when `a` and `b` hold the same bytes. Runs in time that depends only on the sizes.
[[nodiscard]] inline bool ct_equal(bytes_view a, bytes_view b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned>(a[i] ^ b[i]);
  }
  // Keeps the compiler from turning the loop into an early-exit memcmp.
#if defined(__GNUC__) || defined(__clang__)
  __asm__("" : "+r"(diff));
#endif
  return diff == 0;
}

}  // namespace rtwire
