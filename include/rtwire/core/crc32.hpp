// rtwire — CRC-32 (ISO 3309 / ITU-T V.42, the zlib/Ethernet CRC), for STUN FINGERPRINT
// (RFC 8489 §14.7).
//
//   std::uint32_t c = rtwire::crc32::compute(bytes);
//   std::uint32_t c2 = rtwire::crc32::update(rtwire::crc32::update(0, part1), part2);  // same
//
// Reflected polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF: the value zlib's
// crc32() returns. Slicing-by-8 over eight 256-entry tables built at compile time (8 KiB of
// constants); any alignment, any length, nothing allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "rtwire/core/bytes.hpp"

namespace rtwire::crc32 {

namespace detail {

inline constexpr std::uint32_t polynomial = 0xedb88320u;

using tables_t = std::array<std::array<std::uint32_t, 256>, 8>;

/// tables[0] is the byte-at-a-time table; tables[k][b] is the CRC of byte b followed by k zero
/// bytes, so eight bytes are folded with eight lookups and no dependency between them.
inline constexpr tables_t make_tables() noexcept {
  tables_t t{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t c = b;
    for (int k = 0; k < 8; ++k)
      c = (c & 1u) != 0 ? (c >> 1) ^ polynomial : c >> 1;
    t[0][b] = c;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::size_t b = 0; b < 256; ++b)
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xffu];
  return t;
}

inline constexpr tables_t tables = make_tables();

}  // namespace detail

/// Continues a CRC: `crc` is the value returned for the bytes before `data` (0 to start).
inline std::uint32_t update(std::uint32_t crc, bytes_view data) noexcept {
  const auto& t = detail::tables;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  std::uint32_t c = ~crc;
  while (n >= 8) {
    // Little-endian assembly by shifts: the result is the same on any host byte order.
    const std::uint32_t lo = c ^ (std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) |
                                  (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24));
    c = t[7][lo & 0xffu] ^ t[6][(lo >> 8) & 0xffu] ^ t[5][(lo >> 16) & 0xffu] ^ t[4][lo >> 24] ^
        t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    n -= 8;
  }
  for (; n != 0; --n, ++p)
    c = (c >> 8) ^ t[0][(c ^ *p) & 0xffu];
  return ~c;
}

/// The CRC-32 of `data`.
inline std::uint32_t compute(bytes_view data) noexcept {
  return update(0, data);
}

inline std::uint32_t compute(std::string_view data) noexcept {
  return update(0, as_bytes(data));
}

}  // namespace rtwire::crc32
