// rtwire — internals: the one SIMD byte scanner the text codecs share. It turns a block of bytes
// into a bit mask of the positions holding any of a few byte values (line endings, NUL), and
// optionally of the bytes >= 0x80, so that a parser answers "where is the next one" with a
// count-trailing-zeros instead of a loop per line. Used, through detail/byte_bitmap.hpp (many
// blocks at once), by the SSE line scanner (rtwire/sse/scan.hpp: CR, LF, non-ASCII) and the SDP
// line scanner (CR, LF, NUL). The HTTP/1 head parser has its own per-line pass
// (core/detail/http1_line_scan.hpp): a field line needs more than the positions of a few bytes.
// x86-64 uses SSE2 (always present, no runtime dispatch); other targets use a portable loop with
// identical results.
// Not public API.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define RTWIRE_BYTE_BLOCKS_SSE2 1
#else
#define RTWIRE_BYTE_BLOCKS_SSE2 0
#endif

namespace rtwire::detail {

/// Bit i set when p[i] is one of `Bytes`, for i < n (n <= 64); bit i of `*high` (when given)
/// set when p[i] >= 0x80. Reads exactly [p, p + n).
template <char... Bytes>
inline std::uint64_t match_bytes(const char* p, std::size_t n, std::uint64_t* high) noexcept {
  std::uint64_t m = 0, h = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = p[i];
    if (((c == Bytes) || ...)) m |= std::uint64_t{1} << i;
    if (static_cast<unsigned char>(c) >= 0x80) h |= std::uint64_t{1} << i;
  }
  if (high != nullptr) *high = h;
  return m;
}

/// match_bytes() over a whole 64-byte block [p, p + 64), with SSE2 where available.
template <char... Bytes>
inline std::uint64_t match_block64(const char* p, std::uint64_t* high) noexcept {
#if RTWIRE_BYTE_BLOCKS_SSE2
  __m128i v[4];
  std::uint64_t m = 0;
  for (int k = 0; k < 4; ++k) {
    v[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    __m128i hit = _mm_setzero_si128();
    ((hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v[k], _mm_set1_epi8(Bytes)))), ...);
    m |= std::uint64_t{static_cast<std::uint32_t>(_mm_movemask_epi8(hit))} << (16 * k);
  }
  if (high != nullptr) {
    // Text is mostly ASCII: one test for the whole block before the per-byte mask.
    std::uint64_t h = 0;
    if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(v[0], v[1]), _mm_or_si128(v[2], v[3]))) != 0) {
      for (int k = 0; k < 4; ++k)
        h |= std::uint64_t{static_cast<std::uint32_t>(_mm_movemask_epi8(v[k]))} << (16 * k);
    }
    *high = h;
  }
  return m;
#else
  return match_bytes<Bytes...>(p, 64, high);
#endif
}

#if RTWIRE_BYTE_BLOCKS_SSE2
/// The bytes of the 16 at p that are one of `Bytes`, as a movemask.
template <char... Bytes>
inline unsigned match16(const char* p) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i hit = _mm_setzero_si128();
  ((hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8(Bytes)))), ...);
  return static_cast<unsigned>(_mm_movemask_epi8(hit));
}
#endif

/// The 8 bytes at p as one word (in memory order, whatever the endianness; see word_prefix).
inline std::uint64_t load_word(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

/// Bit 7 of each byte of `w` (a 32- or 64-bit word) set where that byte is one of `Bytes` (SWAR:
/// a byte of w ^ B is zero exactly there; (x - 0x01..01) & ~x & 0x80..80 marks the lowest such
/// byte exactly, and may mark bytes above it, so only the lowest marked byte is to be trusted).
template <char... Bytes, class Word>
constexpr Word match_word(Word w) noexcept {
  constexpr Word ones = static_cast<Word>(0x0101010101010101u);
  Word z = 0;
  ((z |=
    static_cast<Word>(((w ^ static_cast<Word>(ones * static_cast<unsigned char>(Bytes))) - ones) &
                      ~(w ^ static_cast<Word>(ones * static_cast<unsigned char>(Bytes))) &
                      static_cast<Word>(ones << 7))),
   ...);
  return z;
}

/// The 4 bytes at p as one word (in memory order).
inline std::uint32_t load_word32(const char* p) noexcept {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

/// The offset of the first byte of [p, p + n) that is one of `Bytes`, or n if none (one-shot, no
/// block state). Reads exactly [p, p + n): the last 16 (or 8) bytes are searched with one load
/// that overlaps bytes already searched, so no byte is looked at one by one unless n < 8. A
/// single byte past the first 16 is left to memchr (the C library's, AVX2 where present, is
/// several times faster than SSE2 on long runs).
template <char... Bytes>
inline std::size_t find_first_of(const char* p, std::size_t n) noexcept {
#if RTWIRE_BYTE_BLOCKS_SSE2
  if (n >= 16) {
    if (const unsigned m = match16<Bytes...>(p); m != 0)
      return static_cast<unsigned>(std::countr_zero(m));
    if constexpr (sizeof...(Bytes) == 1) {
      const void* hit = std::memchr(p + 16, Bytes..., n - 16);
      return hit == nullptr ? n : static_cast<std::size_t>(static_cast<const char*>(hit) - p);
    }
    std::size_t i = 16;
    for (; i + 16 <= n; i += 16) {
      if (const unsigned m = match16<Bytes...>(p + i); m != 0)
        return i + static_cast<unsigned>(std::countr_zero(m));
    }
    if (i == n) return n;
    // [n - 16, n) overlaps [n - 16, i), already searched: drop those bits.
    const unsigned m = match16<Bytes...>(p + n - 16) >> (i + 16 - n);
    return m != 0 ? i + static_cast<unsigned>(std::countr_zero(m)) : n;
  }
#endif
  std::size_t i = 0;
  if constexpr (std::endian::native == std::endian::little) {
    // Short text (an event type, a name): two words that overlap in the middle, no loop. The
    // second word's overlap with the first holds no match, so its first match is the answer.
    if (n >= 8) {
      for (; i + 16 <= n; i += 8) {
        if (const std::uint64_t z = match_word<Bytes...>(load_word(p + i)); z != 0)
          return i + static_cast<unsigned>(std::countr_zero(z)) / 8;
      }
      if (const std::uint64_t z = match_word<Bytes...>(load_word(p + i)); z != 0)
        return i + static_cast<unsigned>(std::countr_zero(z)) / 8;
      const std::uint64_t z = match_word<Bytes...>(load_word(p + n - 8));
      return z != 0 ? n - 8 + static_cast<unsigned>(std::countr_zero(z)) / 8 : n;
    }
    if (n >= 4) {
      if (const std::uint32_t z = match_word<Bytes...>(load_word32(p)); z != 0)
        return static_cast<unsigned>(std::countr_zero(z)) / 8;
      const std::uint32_t z = match_word<Bytes...>(load_word32(p + n - 4));
      return z != 0 ? n - 4 + static_cast<unsigned>(std::countr_zero(z)) / 8 : n;
    }
  }
  for (; i < n; ++i)
    if (((p[i] == Bytes) || ...)) return i;
  return n;
}

/// Whether [p, p + n) holds the byte B, 8 bytes at a time (for short fields such as an id).
template <char B>
inline bool contains_byte(const char* p, std::size_t n) noexcept {
  if (n >= 8) {
    // Whole words, then one last word that may overlap the one before it.
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (match_word<B>(load_word(p + i)) != 0) return true;
    return match_word<B>(load_word(p + n - 8)) != 0;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] == B) return true;
  return false;
}

/// Whether [p, p + n) holds a byte >= 0x80, 8 bytes at a time (two words per step), with one
/// last word that may overlap the one before it.
inline bool contains_high(const char* p, std::size_t n) noexcept {
  constexpr std::uint64_t top = 0x8080808080808080u;
  if (n >= 8) {
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16)
      if (((load_word(p + i) | load_word(p + i + 8)) & top) != 0) return true;
    // [i, n) is under 16 bytes: the word ending at n, and the one at i when 8 do not cover it.
    std::uint64_t w = load_word(p + n - 8);
    if (n - i > 8) w |= load_word(p + i);
    return (w & top) != 0;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (static_cast<unsigned char>(p[i]) >= 0x80) return true;
  return false;
}

/// A prefix of at most 8 bytes, compared against load_word() of a text in one AND and one
/// compare: `matches(load_word(p))` says whether p starts with the prefix.
struct word_prefix {
  std::uint64_t value = 0;
  std::uint64_t mask = 0;
  constexpr bool matches(std::uint64_t w) const noexcept { return (w & mask) == value; }
};

/// The word_prefix of a string literal of 1 to 8 characters.
template <std::size_t N>
consteval word_prefix make_word_prefix(const char (&s)[N]) {
  static_assert(N >= 2 && N <= 9, "a prefix of 1 to 8 characters");
  word_prefix out;
  for (std::size_t i = 0; i + 1 < N; ++i) {
    const auto shift =
        static_cast<unsigned>(std::endian::native == std::endian::little ? 8 * i : 56 - 8 * i);
    out.value |= std::uint64_t{static_cast<unsigned char>(s[i])} << shift;
    out.mask |= std::uint64_t{0xFF} << shift;
  }
  return out;
}

}  // namespace rtwire::detail
