// rtwire — internals of the HTTP/1 head parser (core/detail/http1_head_parser.hpp): the SSE2
// pieces of its fast path for field lines.
//
// Why: a head is a dozen short lines. Finding each LF with memchr, then checking the name byte by
// byte against a table, then the value 16 bytes at a time with a byte loop for the tail costs a
// call and three loop start-ups per line. The fast path instead makes one pass of 16-byte loads
// per line that stops at its first control byte (for a valid line, the CR of its CRLF, which also
// proves every byte before it a field-value byte), finds the colon in the first one or two loads
// and checks the name in them: a handful of vector operations per line, no call, no byte loop.
//
// It only answers "is this line certainly valid, and where are its parts?". A line it cannot
// vouch for (no colon in the first 32 bytes, a byte outside the token or field-value alphabet,
// leading whitespace, a bare LF) goes to the parser's byte-wise path, which finds the exact error
// and its offset: errors and offsets are the same with or without it
// (tests/core/http1_line_scan.cpp). x86-64 only (SSE2 is part of it); other targets use the
// byte-wise path for every line.
// Not public API.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "rtwire/detail/byte_blocks.hpp"  // match16, and the SSE2 test

#define RTWIRE_HTTP1_LINE_SCAN RTWIRE_BYTE_BLOCKS_SSE2

namespace rtwire::http1::detail {

#if RTWIRE_HTTP1_LINE_SCAN

inline __m128i bytes_in(__m128i x, char lo, char count) noexcept {
  // Unsigned lo <= x < lo + count, as x - lo <= count - 1.
  const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8(lo));
  return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(static_cast<char>(count - 1))), d);
}

inline __m128i bytes_eq(__m128i x, char c) noexcept {
  return _mm_cmpeq_epi8(x, _mm_set1_epi8(c));
}

/// Bit i set when byte i of x may not appear in a field value (RFC 9110 §5.5: field-vchar is
/// VCHAR / obs-text, with SP and HTAB between): the controls other than HTAB, and DEL.
inline unsigned non_field16(__m128i x) noexcept {
  const __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
  const __m128i bad = _mm_or_si128(_mm_andnot_si128(bytes_eq(x, '\t'), ctl), bytes_eq(x, 0x7f));
  return static_cast<unsigned>(_mm_movemask_epi8(bad));
}

/// Bit i set when byte i of x is not a tchar (RFC 9110 §5.6.2: ALPHA, DIGIT and
/// "!#$%&'*+-.^_`|~"): the controls, SP and bytes >= 0x80 (signed x < 0x21), DEL, and the
/// delimiters "(),/:;<=>?@[\]{}.
inline unsigned non_tchar16(__m128i x) noexcept {
  __m128i bad = _mm_cmplt_epi8(x, _mm_set1_epi8(0x21));
  bad = _mm_or_si128(bad, bytes_eq(x, 0x7f));
  bad = _mm_or_si128(bad, bytes_eq(x, '"'));
  bad = _mm_or_si128(bad, bytes_in(x, '(', 2));  // ( )
  bad = _mm_or_si128(bad, bytes_eq(x, ','));
  bad = _mm_or_si128(bad, bytes_eq(x, '/'));
  bad = _mm_or_si128(bad, bytes_in(x, ':', 7));  // : ; < = > ? @
  bad = _mm_or_si128(bad, bytes_in(x, '[', 3));  // [ \ ]
  bad = _mm_or_si128(bad, bytes_eq(x, '{'));
  bad = _mm_or_si128(bad, bytes_eq(x, '}'));
  return static_cast<unsigned>(_mm_movemask_epi8(bad));
}

inline std::uint32_t low_bits(std::size_t n) noexcept {
  return n >= 32 ? ~std::uint32_t{0} : (std::uint32_t{1} << n) - 1;
}

/// Offset of the first byte of [p, p + n) that is a control other than HTAB, or DEL (n if none):
/// in a valid field line, the CR of its CRLF.
inline std::size_t find_non_field(const char* p, std::size_t n) noexcept {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    if (const unsigned m = non_field16(x); m != 0)
      return i + static_cast<unsigned>(std::countr_zero(m));
  }
  if (i == n) return n;
  if (n >= 16) {
    // The last bytes: one load ending at p + n, the bytes already checked masked out.
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16));
    const unsigned m = non_field16(x) >> (16 - (n - i));
    return m == 0 ? n : i + static_cast<unsigned>(std::countr_zero(m));
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return i;
  }
  return n;
}

/// Offset of the first ':' in the first 16, or 32 when `readable` >= 32, bytes at p; `none`
/// (>= 32) if there is none. Field names are short: most fit in 16 bytes, the WebSocket ones in 32.
inline std::size_t find_colon(const char* p, std::size_t readable) noexcept {
  std::uint32_t m = rtwire::detail::match16<':'>(p);
  if (m == 0 && readable >= 32) m = std::uint32_t{rtwire::detail::match16<':'>(p + 16)} << 16;
  return m == 0 ? 32 : static_cast<unsigned>(std::countr_zero(m));
}

/// Bit i set when byte i of x is not a letter, a digit or '-': the bytes of almost every field
/// name. A subset of tchar, tested with a third of non_tchar16's operations.
inline unsigned non_name16(__m128i x) noexcept {
  // x | 0x20 folds A-Z onto a-z; no other byte lands there ('@' and '[' land on '`' and '{').
  const __m128i alpha = bytes_in(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 26);
  const __m128i ok = _mm_or_si128(_mm_or_si128(alpha, bytes_in(x, '0', 10)), bytes_eq(x, '-'));
  return static_cast<unsigned>(_mm_movemask_epi8(ok)) ^ 0xffffu;
}

/// True if the first n <= 16 bytes of x are all tchar: the common alphabet first, the full
/// tchar test only for a name with another byte.
inline bool tchar_prefix16(__m128i x, std::size_t n) noexcept {
  const std::uint32_t keep = low_bits(n);
  return (non_name16(x) & keep) == 0 || (non_tchar16(x) & keep) == 0;
}

/// True if p[0, n) are all tchar, n <= 32; whole 16-byte blocks covering [p, p + n) are read.
inline bool all_tchar(const char* p, std::size_t n) noexcept {
  if (!tchar_prefix16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), n)) return false;
  return n <= 16 ||
         tchar_prefix16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)), n - 16);
}

/// Offset of the first SP in the 16 bytes at p, or 16 if none.
inline std::size_t find_space16(const char* p) noexcept {
  return static_cast<unsigned>(std::countr_zero(rtwire::detail::match16<' '>(p) | 0x10000u));
}

/// True if p[0, n) are all VCHAR (0x21-0x7E), as a request-target's bytes must be (RFC 9112
/// §3.2); false also when a 16-byte load would pass `readable` (the byte-wise path decides).
inline bool all_vchar(const char* p, std::size_t n, std::size_t readable) noexcept {
  for (std::size_t i = 0; i < n; i += 16) {
    if (i + 16 > readable) return false;
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // Signed x < 0x21: the controls, SP and the bytes >= 0x80.
    const __m128i bad = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x21)), bytes_eq(x, 0x7f));
    if ((static_cast<unsigned>(_mm_movemask_epi8(bad)) & low_bits(n - i)) != 0) return false;
  }
  return true;
}

#endif  // RTWIRE_HTTP1_LINE_SCAN

}  // namespace rtwire::http1::detail
