// rtwire — ASCII case folding for protocol tokens (HTTP field names, SDP/ICE transport names).
//
//   bool same = rtwire::ascii::iequals("Upgrade", "upgrade");          // true
//   bool key = rtwire::ascii::equals_lower(name, "sec-websocket-key");  // for a lowercase literal
//
// Protocol tokens compare case-insensitively in ASCII only (RFC 9110 §5.1, RFC 8866 §5.13);
// these functions never consult a locale.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace rtwire::ascii {

/// `c` with A-Z mapped to a-z; every other byte unchanged.
constexpr char to_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

/// ASCII case-insensitive equality of any two byte strings.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

/// iequals(token, lower) for a `lower` made only of lowercase letters, digits and '-' (a field
/// name literal such as "sec-websocket-key"), and a `token` of token characters (RFC 9110
/// §5.6.2), as the HTTP parser guarantees for field names. Eight bytes at a time: OR-ing 0x20
/// folds case for letters and leaves '-' and digits alone; the bytes it could confuse with them
/// (CR, 0x10-0x19) are not token characters. Outside that precondition use iequals().
[[gnu::always_inline]] inline bool equals_lower(std::string_view token,
                                                std::string_view lower) noexcept {
  const std::size_t n = token.size();
  if (n != lower.size()) return false;
  const auto differ8 = [&](std::size_t i) {
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, token.data() + i, 8);
    std::memcpy(&b, lower.data() + i, 8);
    return (a | 0x2020202020202020u) != b;
  };
  if (n >= 8) {
    // Whole words, then one word ending at the last byte (it may overlap the one before).
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (differ8(i)) return false;
    return !differ8(n - 8);
  }
  if (n >= 4) {
    // Two 4-byte words, the second ending at the last byte.
    const auto differ4 = [&](std::size_t i) {
      std::uint32_t a = 0, b = 0;
      std::memcpy(&a, token.data() + i, 4);
      std::memcpy(&b, lower.data() + i, 4);
      return (a | 0x20202020u) != b;
    };
    return !differ4(0) && !differ4(n - 4);
  }
  for (std::size_t i = 0; i < n; ++i)
    if ((token[i] | 0x20) != lower[i]) return false;
  return true;
}

}  // namespace rtwire::ascii
