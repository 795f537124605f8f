// rtwire — SHA-256 (FIPS 180-4 §6.2), for STUN MESSAGE-INTEGRITY-SHA256, the SHA-256 long-term
// key and USERHASH (RFC 8489 §14.6, §9.2.2, §14.4).
//
//   rtwire::sha256::digest d = rtwire::sha256::hash("abc");
//
//   rtwire::sha256::hasher h;               // incremental: any split of the input, same digest
//   h.update(part1);
//   h.update(part2);
//   rtwire::sha256::digest d2 = h.finish();  // h is reset and can hash the next message
//
// Two implementations give identical results: a portable one, and one using the x86 SHA
// extensions ("SHA-NI"), chosen at run time through rtwire::detail::cpu_features() (it needs
// cpu_sha and cpu_sse41, which implies SSSE3 on every CPU that has SHA-NI). Nothing allocates,
// nothing throws.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/detail/block_hasher.hpp"
#include "rtwire/detail/cpu.hpp"

#if RTWIRE_X86_DISPATCH
#include <immintrin.h>
#endif

namespace rtwire::sha256 {

/// Size of a SHA-256 digest in bytes (256 bits).
inline constexpr std::size_t digest_size = 32;
/// Size of a SHA-256 block in bytes (512 bits).
inline constexpr std::size_t block_size = 64;
using digest = std::array<std::uint8_t, digest_size>;

namespace detail {

/// FIPS 180-4 §5.3.3: the initial hash value H(0).
inline constexpr std::array<std::uint32_t, 8> initial_state{0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u,
                                                            0xa54ff53au, 0x510e527fu, 0x9b05688cu,
                                                            0x1f83d9abu, 0x5be0cd19u};

/// FIPS 180-4 §4.2.2: the 64 round constants K.
alignas(16) inline constexpr std::array<std::uint32_t, 64> k{
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline constexpr std::uint32_t rotr(std::uint32_t x, int n) noexcept {
  return (x >> n) | (x << (32 - n));
}

inline std::uint32_t load_be32(const unsigned char* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

inline void store_be32(unsigned char* p, std::uint32_t v) noexcept {
  p[0] = static_cast<unsigned char>(v >> 24);
  p[1] = static_cast<unsigned char>(v >> 16);
  p[2] = static_cast<unsigned char>(v >> 8);
  p[3] = static_cast<unsigned char>(v);
}

/// Portable compression function (FIPS 180-4 §6.2.2).
inline void compress_scalar(std::array<std::uint32_t, 8>& state, const unsigned char* p,
                            std::size_t blocks) noexcept {
  for (; blocks != 0; --blocks, p += block_size) {
    std::uint32_t w[64];
    for (std::size_t t = 0; t < 16; ++t)
      w[t] = load_be32(p + 4 * t);
    // §6.2.2 step 1 with §4.1.2's sigma functions.
    for (std::size_t t = 16; t < 64; ++t) {
      const std::uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
      const std::uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    std::uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (std::size_t t = 0; t < 64; ++t) {
      const std::uint32_t big_s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const std::uint32_t ch = (e & f) ^ (~e & g);
      const std::uint32_t t1 = h + big_s1 + ch + k[t] + w[t];
      const std::uint32_t big_s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      const std::uint32_t t2 = big_s0 + maj;
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
  }
}

#if RTWIRE_X86_DISPATCH

/// Rounds 4G..4G+3 with SHA256RNDS2 (two rounds per instruction), and the message schedule four
/// words at a time: group G+1's words are finished here with SHA256MSG2 (G = 3..14), and group
/// G+3's first half is started with SHA256MSG1 (G = 1..12). `m` is a ring of four schedule vectors.
template <int G>
__attribute__((target("sha,sse4.1,ssse3"))) inline void shani_group(__m128i& state0,
                                                                    __m128i& state1,
                                                                    __m128i (&m)[4]) noexcept {
  const __m128i cur = m[G % 4];
  __m128i msg =
      _mm_add_epi32(cur, _mm_load_si128(reinterpret_cast<const __m128i*>(k.data() + 4 * G)));
  state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
  if constexpr (G >= 3 && G < 15) {
    const __m128i tmp = _mm_alignr_epi8(cur, m[(G + 3) % 4], 4);
    m[(G + 1) % 4] = _mm_sha256msg2_epu32(_mm_add_epi32(m[(G + 1) % 4], tmp), cur);
  }
  msg = _mm_shuffle_epi32(msg, 0x0e);
  state0 = _mm_sha256rnds2_epu32(state0, state1, msg);
  if constexpr (G >= 1 && G <= 12) {
    m[(G + 3) % 4] = _mm_sha256msg1_epu32(m[(G + 3) % 4], cur);
  }
}

template <int... G>
__attribute__((target("sha,sse4.1,ssse3"))) inline void shani_groups(
    __m128i& state0, __m128i& state1, __m128i (&m)[4], std::integer_sequence<int, G...>) noexcept {
  (shani_group<G>(state0, state1, m), ...);
}

/// Hashes `blocks` 64-byte blocks at `p` into `state` with SHA-NI. Only call when
/// cpu_features() has cpu_sha and cpu_sse41.
__attribute__((target("sha,sse4.1,ssse3"))) inline void compress_shani(
    std::array<std::uint32_t, 8>& state, const unsigned char* p, std::size_t blocks) noexcept {
  // Big-endian words: reverse the bytes inside each 32-bit lane.
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  // SHA256RNDS2 wants the state as ABEF and CDGH (A in the top lane).
  __m128i tmp =
      _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state.data())), 0xb1);
  __m128i state1 =
      _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state.data() + 4)), 0x1b);
  __m128i state0 = _mm_alignr_epi8(tmp, state1, 8);
  state1 = _mm_blend_epi16(state1, tmp, 0xf0);
  for (; blocks != 0; --blocks, p += block_size) {
    const __m128i abef = state0;
    const __m128i cdgh = state1;
    __m128i m[4];
    for (int i = 0; i < 4; ++i) {
      m[i] = _mm_shuffle_epi8(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + std::ptrdiff_t{16} * i)), bswap);
    }
    shani_groups(state0, state1, m, std::make_integer_sequence<int, 16>{});
    // §6.2.2 step 4.
    state0 = _mm_add_epi32(state0, abef);
    state1 = _mm_add_epi32(state1, cdgh);
  }
  tmp = _mm_shuffle_epi32(state0, 0x1b);
  state1 = _mm_shuffle_epi32(state1, 0xb1);
  state0 = _mm_blend_epi16(tmp, state1, 0xf0);
  state1 = _mm_alignr_epi8(state1, tmp, 8);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state.data()), state0);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state.data() + 4), state1);
}

#endif  // RTWIRE_X86_DISPATCH

/// True when this CPU (as restricted by cpu_features_override) runs the SHA-NI path.
inline bool uses_shani() noexcept {
#if RTWIRE_X86_DISPATCH
  constexpr std::uint32_t needed = rtwire::detail::cpu_sha | rtwire::detail::cpu_sse41;
  return (rtwire::detail::cpu_features() & needed) == needed;
#else
  return false;
#endif
}

inline void compress(std::array<std::uint32_t, 8>& state, const unsigned char* p,
                     std::size_t blocks) noexcept {
#if RTWIRE_X86_DISPATCH
  if (uses_shani()) return compress_shani(state, p, blocks);
#endif
  compress_scalar(state, p, blocks);
}

/// SHA-256 for the shared block buffering and padding (detail/block_hasher.hpp).
struct algo {
  using state_type = std::array<std::uint32_t, 8>;
  static constexpr state_type initial_state = sha256::detail::initial_state;
  static constexpr bool big_endian_length = true;
  static void compress(state_type& state, const unsigned char* p, std::size_t blocks) noexcept {
    sha256::detail::compress(state, p, blocks);
  }
  using digest = sha256::digest;
  static digest to_digest(const state_type& state) noexcept {
    digest d;
    for (std::size_t i = 0; i < 8; ++i)
      store_be32(d.data() + 4 * i, state[i]);
    return d;
  }
};

}  // namespace detail

/// Incremental SHA-256 over a message given in any number of pieces: update(), finish() (FIPS
/// 180-4 §5.1.1 padding; returns the digest and resets), reset(); never allocates.
using hasher = rtwire::detail::digest_hasher<detail::algo>;

inline digest hash(bytes_view data) noexcept {
  return hasher::of(data);
}

inline digest hash(std::string_view data) noexcept {
  return hash(as_bytes(data));
}

}  // namespace rtwire::sha256
