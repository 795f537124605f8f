// rtwire — MD5 (RFC 1321), for STUN long-term credential keys (RFC 8489 §9.2.2).
//
//   rtwire::md5::digest d = rtwire::md5::hash("abc");
//
//   rtwire::md5::hasher h;                // incremental: any split of the input, same digest
//   h.update(part1);
//   h.update(part2);
//   rtwire::md5::digest d2 = h.finish();  // h is reset and can hash the next message
//
// MD5 is broken for collision resistance; STUN uses it only because RFC 5389 fixed the long-term
// key as MD5(username ":" realm ":" password), and RFC 8489 keeps it as the default algorithm.
// Portable code only (the key is computed once per credential, not per message). Nothing
// allocates, nothing throws.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/detail/block_hasher.hpp"

namespace rtwire::md5 {

/// Size of an MD5 digest in bytes (128 bits).
inline constexpr std::size_t digest_size = 16;
/// Size of an MD5 block in bytes (512 bits).
inline constexpr std::size_t block_size = 64;
using digest = std::array<std::uint8_t, digest_size>;

namespace detail {

/// RFC 1321 §3.3: the initial buffer A, B, C, D.
inline constexpr std::array<std::uint32_t, 4> initial_state{0x67452301u, 0xefcdab89u, 0x98badcfeu,
                                                            0x10325476u};

/// RFC 1321 §3.4: T[i] = floor(2^32 * abs(sin(i))), i = 1..64.
inline constexpr std::array<std::uint32_t, 64> t_table{
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

/// RFC 1321 §3.4: the per-step shift amounts of the four rounds.
inline constexpr std::array<int, 16> shifts{7, 12, 17, 22, 5, 9,  14, 20,
                                            4, 11, 16, 23, 6, 10, 15, 21};

inline constexpr std::uint32_t rotl(std::uint32_t x, int n) noexcept {
  return (x << n) | (x >> (32 - n));
}

inline std::uint32_t load_le32(const unsigned char* p) noexcept {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

/// RFC 1321 §3.4: processes 64-byte blocks (words are little-endian, §2).
inline void compress(std::array<std::uint32_t, 4>& state, const unsigned char* p,
                     std::size_t blocks) noexcept {
  for (; blocks != 0; --blocks, p += block_size) {
    std::uint32_t x[16];
    for (std::size_t i = 0; i < 16; ++i)
      x[i] = load_le32(p + 4 * i);
    std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    for (std::size_t i = 0; i < 64; ++i) {
      std::uint32_t f = 0;
      std::size_t k = 0;
      if (i < 16) {
        f = (b & c) | (~b & d);  // F
        k = i;
      } else if (i < 32) {
        f = (b & d) | (c & ~d);  // G
        k = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;  // H
        k = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);  // I
        k = (7 * i) % 16;
      }
      const std::uint32_t next = b + rotl(a + f + t_table[i] + x[k], shifts[(i / 16) * 4 + i % 4]);
      a = d;
      d = c;
      c = b;
      b = next;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
  }
}

/// MD5 for the shared block buffering and padding (detail/block_hasher.hpp).
struct algo {
  using state_type = std::array<std::uint32_t, 4>;
  static constexpr state_type initial_state = md5::detail::initial_state;
  static constexpr bool big_endian_length = false;
  static void compress(state_type& state, const unsigned char* p, std::size_t blocks) noexcept {
    md5::detail::compress(state, p, blocks);
  }
  using digest = md5::digest;
  /// RFC 1321 §3.5: the state words, each low-order byte first.
  static digest to_digest(const state_type& state) noexcept {
    digest d;
    for (std::size_t i = 0; i < 4; ++i)
      for (std::size_t j = 0; j < 4; ++j)
        d[4 * i + j] = static_cast<std::uint8_t>(state[i] >> (8 * j));
    return d;
  }
};

}  // namespace detail

/// Incremental MD5 over a message given in any number of pieces: update(), finish() (RFC 1321
/// §3.1-3.2 padding, the bit length low-order byte first; returns the digest and resets),
/// reset(); never allocates.
using hasher = rtwire::detail::digest_hasher<detail::algo>;

inline digest hash(bytes_view data) noexcept {
  return hasher::of(data);
}

inline digest hash(std::string_view data) noexcept {
  return hash(as_bytes(data));
}

}  // namespace rtwire::md5
