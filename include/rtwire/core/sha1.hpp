// rtwire — SHA-1 (FIPS 180-4 §6.1), for the WebSocket opening handshake (RFC 6455 §4.2.2).
//
//   rtwire::sha1::digest d = rtwire::sha1::hash("abc");
//
//   rtwire::sha1::hasher h;               // incremental: any split of the input, same digest
//   h.update(part1);
//   h.update(part2);
//   rtwire::sha1::digest d2 = h.finish();  // h is reset and can hash the next message
//
// SHA-1 is broken for collision resistance; RFC 6455 uses it only to prove that the server read
// the client's handshake, which needs no security property. Do not use it for anything else.
//
// Two implementations give identical results: a portable one (unrolled rounds, big-endian loads
// by shifts, no alignment needs), and one using the x86 SHA extensions ("SHA-NI"), chosen at run
// time through rtwire::detail::cpu_features() (it needs cpu_sha and cpu_sse41). Nothing allocates,
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

namespace rtwire::sha1 {

/// Size of a SHA-1 message digest in bytes (160 bits).
inline constexpr std::size_t digest_size = 20;
/// Size of a SHA-1 message block in bytes (512 bits).
inline constexpr std::size_t block_size = 64;
/// A message digest: H0..H4, each big-endian (FIPS 180-4 §6.1.2 step 4).
using digest = std::array<std::uint8_t, digest_size>;

namespace detail {

/// FIPS 180-4 §5.3.1: the initial hash value H(0).
inline constexpr std::array<std::uint32_t, 5> initial_state{0x67452301u, 0xefcdab89u, 0x98badcfeu,
                                                            0x10325476u, 0xc3d2e1f0u};

inline constexpr std::uint32_t rotl(std::uint32_t x, int n) noexcept {
  return (x << n) | (x >> (32 - n));
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

inline void store_be64(unsigned char* p, std::uint64_t v) noexcept {
  store_be32(p, static_cast<std::uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<std::uint32_t>(v));
}

/// The final hash value H0..H4 as a digest (FIPS 180-4 §6.1.2: big-endian words).
inline digest to_digest(const std::array<std::uint32_t, 5>& state) noexcept {
  digest d;
  for (std::size_t i = 0; i < 5; ++i)
    store_be32(d.data() + 4 * i, state[i]);
  return d;
}

// ------------------------------------------------------------------------------------------------
// Portable compression function (FIPS 180-4 §6.1.2).
// ------------------------------------------------------------------------------------------------

/// One of the 80 steps of §6.1.2 step 3, fully resolved at compile time. The five working
/// variables live in `v` and change roles each step instead of being shifted: at step T,
/// a..e are v[(0-T) mod 5] .. v[(4-T) mod 5]. The step writes T' into e's slot (the next a) and
/// ROTL^30(b) into b's slot (the next c); after 80 steps the roles are back in place.
/// The message schedule W (§6.1.2 step 1) is kept as a 16-word ring, expanded as it goes.
template <std::size_t T>
inline void scalar_step(std::uint32_t (&v)[5], std::uint32_t (&w)[16]) noexcept {
  const std::uint32_t a = v[(5 - T % 5) % 5];
  std::uint32_t& b = v[(6 - T % 5) % 5];
  const std::uint32_t c = v[(7 - T % 5) % 5];
  const std::uint32_t d = v[(8 - T % 5) % 5];
  std::uint32_t& e = v[(9 - T % 5) % 5];
  if constexpr (T >= 16) {
    // W_t = ROTL^1(W_{t-3} xor W_{t-8} xor W_{t-14} xor W_{t-16})
    w[T % 16] = rotl(w[(T - 3) % 16] ^ w[(T - 8) % 16] ^ w[(T - 14) % 16] ^ w[T % 16], 1);
  }
  // §4.1.1 functions and §4.2.1 constants.
  std::uint32_t f = 0;
  std::uint32_t k = 0;
  if constexpr (T < 20) {
    f = d ^ (b & (c ^ d));  // Ch(b, c, d)
    k = 0x5a827999u;
  } else if constexpr (T < 40) {
    f = b ^ c ^ d;  // Parity(b, c, d)
    k = 0x6ed9eba1u;
  } else if constexpr (T < 60) {
    f = (b & c) | (d & (b | c));  // Maj(b, c, d)
    k = 0x8f1bbcdcu;
  } else {
    f = b ^ c ^ d;  // Parity(b, c, d)
    k = 0xca62c1d6u;
  }
  e += rotl(a, 5) + f + k + w[T % 16];
  b = rotl(b, 30);
}

/// One block (§6.1.2 steps 1-4). The working variables and the schedule are locals of the
/// function that runs all 80 steps, so they live in registers even where the compiler does not
/// inline this function into its caller.
template <std::size_t... T>
inline void scalar_block(std::array<std::uint32_t, 5>& state, const unsigned char* p,
                         std::index_sequence<T...>) noexcept {
  std::uint32_t w[16];
  for (std::size_t t = 0; t < 16; ++t) {
    w[t] = load_be32(p + 4 * t);
  }
  std::uint32_t v[5] = {state[0], state[1], state[2], state[3], state[4]};
  (scalar_step<T>(v, w), ...);
  for (std::size_t i = 0; i < 5; ++i) {
    state[i] += v[i];  // §6.1.2 step 4
  }
}

/// Hashes `blocks` 64-byte blocks at `p` into `state` (portable; any alignment).
inline void compress_scalar(std::array<std::uint32_t, 5>& state, const unsigned char* p,
                            std::size_t blocks) noexcept {
  for (; blocks != 0; --blocks, p += block_size) {
    scalar_block(state, p, std::make_index_sequence<80>{});
  }
}

// ------------------------------------------------------------------------------------------------
// SHA-NI compression function (x86 SHA extensions + SSE4.1).
// ------------------------------------------------------------------------------------------------
#if RTWIRE_X86_DISPATCH

/// Four steps (group I of 20): SHA1RNDS4 runs steps 4I..4I+3 with the function and constant of
/// round I/5; `we` holds W_{4I..4I+3} with e added to the first word. The group then prepares the
/// next one: the schedule of §6.1.2 step 1 four words at a time (SHA1MSG1 + xor + SHA1MSG2), and
/// the next e, which is ROTL^30 of this group's incoming a (SHA1NEXTE). `m` is a ring of the last
/// four schedule vectors. After group 19, `we` holds the incoming abcd of that group instead.
template <int I>
__attribute__((target("sha,sse4.1"))) inline void shani_group(__m128i& abcd, __m128i& we,
                                                              __m128i (&m)[4]) noexcept {
  const __m128i previous = abcd;
  abcd = _mm_sha1rnds4_epu32(abcd, we, I / 5);
  if constexpr (I < 19) {
    constexpr int next = I + 1;
    if constexpr (next >= 4) {
      // W_{t..t+3} from W_{t-16..t-13} (the slot being replaced), W_{t-12..}, W_{t-8..}, W_{t-4..}.
      m[next % 4] = _mm_sha1msg2_epu32(
          _mm_xor_si128(_mm_sha1msg1_epu32(m[next % 4], m[(next + 1) % 4]), m[(next + 2) % 4]),
          m[(next + 3) % 4]);
    }
    we = _mm_sha1nexte_epu32(previous, m[next % 4]);
  } else {
    we = previous;
  }
}

template <int... I>
__attribute__((target("sha,sse4.1"))) inline void shani_groups(
    __m128i& abcd, __m128i& we, __m128i (&m)[4], std::integer_sequence<int, I...>) noexcept {
  (shani_group<I>(abcd, we, m), ...);
}

/// Hashes `blocks` 64-byte blocks at `p` into `state` with SHA-NI. Only call when
/// cpu_features() has cpu_sha and cpu_sse41.
__attribute__((target("sha,sse4.1"))) inline void compress_shani(
    std::array<std::uint32_t, 5>& state, const unsigned char* p, std::size_t blocks) noexcept {
  // Reverses all 16 bytes: big-endian words, with W_0 in the top lane where SHA1RNDS4 wants it.
  const __m128i reverse = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
  // a in the top lane (SHA1RNDS4's layout), e alone in the top lane of its own register.
  __m128i abcd =
      _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state.data())), 0x1b);
  __m128i e = _mm_set_epi32(static_cast<int>(state[4]), 0, 0, 0);
  for (; blocks != 0; --blocks, p += block_size) {
    const __m128i abcd_in = abcd;
    const __m128i e_in = e;
    __m128i m[4];
    for (int i = 0; i < 4; ++i) {
      m[i] = _mm_shuffle_epi8(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + std::ptrdiff_t{16} * i)), reverse);
    }
    __m128i we = _mm_add_epi32(e, m[0]);
    shani_groups(abcd, we, m, std::make_integer_sequence<int, 20>{});
    // §6.1.2 step 4: add the working variables to the incoming hash value.
    e = _mm_sha1nexte_epu32(we, e_in);
    abcd = _mm_add_epi32(abcd, abcd_in);
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state.data()), _mm_shuffle_epi32(abcd, 0x1b));
  state[4] = static_cast<std::uint32_t>(_mm_extract_epi32(e, 3));
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

/// Hashes `blocks` whole blocks at `p` into `state` with the best implementation for this CPU.
inline void compress(std::array<std::uint32_t, 5>& state, const unsigned char* p,
                     std::size_t blocks) noexcept {
#if RTWIRE_X86_DISPATCH
  if (uses_shani()) return compress_shani(state, p, blocks);
#endif
  compress_scalar(state, p, blocks);
}

/// SHA-1 for the shared block buffering and padding (detail/block_hasher.hpp).
struct algo {
  using state_type = std::array<std::uint32_t, 5>;
  static constexpr state_type initial_state = sha1::detail::initial_state;
  static constexpr bool big_endian_length = true;
  static void compress(state_type& state, const unsigned char* p, std::size_t blocks) noexcept {
    sha1::detail::compress(state, p, blocks);
  }
  using digest = sha1::digest;
  static digest to_digest(const state_type& state) noexcept {
    return sha1::detail::to_digest(state);
  }
};

}  // namespace detail

/// Incremental SHA-1 over a message given in any number of pieces: update(bytes_view or
/// std::string_view), finish() (FIPS 180-4 §5.1.1 padding; returns the digest and resets),
/// reset(). Holds one partial block; never allocates. Any split of the message into update()
/// calls gives the same digest. The message length is counted in a 64-bit byte counter, so
/// messages up to 2^61 - 1 bytes are hashed exactly (FIPS 180-4 §5.1.1 allows fewer than 2^64
/// bits).
using hasher = rtwire::detail::digest_hasher<detail::algo>;

/// The SHA-1 digest of `data`.
inline digest hash(bytes_view data) noexcept {
  return hasher::of(data);
}

/// The SHA-1 digest of the bytes of `data`.
inline digest hash(std::string_view data) noexcept {
  return hash(as_bytes(data));
}

/// The SHA-1 digest of a message the caller has already padded to whole blocks (FIPS 180-4
/// §5.1.1: the message, 0x80, zeros, its length in bits as a 64-bit big-endian number): for a
/// message of fixed layout whose padding is a constant (rtwire/ws/accept_key.hpp: a WebSocket key
/// and its GUID), so that only the variable bytes are written per call. The padding is the
/// caller's to get right; the blocks are hashed as given.
template <std::size_t Blocks>
inline digest hash_padded(const std::array<unsigned char, Blocks * block_size>& padded) noexcept {
  std::array<std::uint32_t, 5> state = detail::initial_state;
  detail::compress(state, padded.data(), Blocks);
  return detail::to_digest(state);
}

/// The longest message hash_short() pads by hand: it fits in two blocks with the 0x80 byte and
/// the 8-byte bit length (FIPS 180-4 §5.1.1).
inline constexpr std::size_t max_short_message = 2 * block_size - 1 - 8;

/// The SHA-1 digest of `first` followed by `second`. Up to max_short_message bytes in all (a
/// WebSocket key and its GUID are 60) the message is padded by hand in one stack buffer and
/// compressed in one call, without a hasher's bookkeeping; a longer one goes through hasher.
/// Never allocates; the result is the same either way.
inline digest hash_short(std::string_view first, std::string_view second) noexcept {
  const std::size_t length = first.size() + second.size();
  if (length > max_short_message) {
    hasher h;
    h.update(first);
    h.update(second);
    return h.finish();
  }
  // Every byte up to `end` is written below before it is read; zeroing it first would cost time
  // on the handshake path for nothing.
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-member-init)
  std::array<unsigned char, 2 * block_size> message;
  const std::size_t blocks = length + 1 + 8 <= block_size ? 1 : 2;
  unsigned char* const end = message.data() + blocks * block_size;
  if (!first.empty()) std::memcpy(message.data(), first.data(), first.size());
  if (!second.empty()) std::memcpy(message.data() + first.size(), second.data(), second.size());
  // FIPS 180-4 §5.1.1: 0x80, zeros, then the message length in bits, big-endian.
  message[length] = 0x80;
  std::memset(message.data() + length + 1, 0, blocks * block_size - 8 - length - 1);
  detail::store_be64(end - 8, std::uint64_t{length} * 8);
  std::array<std::uint32_t, 5> state = detail::initial_state;
  detail::compress(state, message.data(), blocks);
  return detail::to_digest(state);
}

}  // namespace rtwire::sha1
