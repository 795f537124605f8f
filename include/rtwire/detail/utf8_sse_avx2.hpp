// rtwire — UTF-8 validation internals: the SSE2 ASCII skip and the SSSE3 (16-byte) and AVX2
// (32-byte) Keiser–Lemire kernels. Each returns the longest prefix it proved valid, cut back to a
// code-point boundary; the scalar DFA (rtwire/detail/utf8_dfa.hpp) resumes there. Chosen at run
// time by rtwire/detail/utf8_kernels.hpp. Not public API.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rtwire/detail/cpu.hpp"
#include "rtwire/detail/utf8_dfa.hpp"
#include "rtwire/detail/utf8_lookup_tables.hpp"

#if RTWIRE_X86_DISPATCH
#include <immintrin.h>
// Function-level targets (no -march needed); a macro because an attribute cannot be a template.
#define RTWIRE_UTF8_TARGET_SSE2 __attribute__((target("sse2")))
#define RTWIRE_UTF8_TARGET_SSSE3 __attribute__((target("sse2,ssse3")))
#define RTWIRE_UTF8_TARGET_AVX2 __attribute__((target("avx2")))

namespace rtwire::utf8::detail {

// ------------------------------------------------------------------------------------------------
// SSE2: ASCII skip only
// ------------------------------------------------------------------------------------------------

RTWIRE_UTF8_TARGET_SSE2 inline std::size_t skip_ascii_sse2(const unsigned char* p, std::size_t i,
                                                           std::size_t n) noexcept {
  while (n - i >= 32) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 16));
    if (_mm_movemask_epi8(_mm_or_si128(a, b)) != 0) return i;  // non-ASCII text: back to the DFA
    i += 32;
  }
  return skip_ascii_words(p, i, n);
}

RTWIRE_UTF8_TARGET_SSE2 inline scan_result scan_sse2(const unsigned char* p,
                                                     std::size_t n) noexcept {
  return dfa_scan(accept, p, 0, n, [](const unsigned char* q, std::size_t i, std::size_t m) {
    return skip_ascii_sse2(q, i, m);
  });
}

// ------------------------------------------------------------------------------------------------
// SSSE3 (16-byte blocks)
// ------------------------------------------------------------------------------------------------

/// The error bits of a 16-byte block given the block and the block shifted by 1, 2 and 3 bytes
/// (each lane holding the byte 1, 2 or 3 positions earlier).
RTWIRE_UTF8_TARGET_SSSE3 inline __m128i block_errors_ssse3(__m128i in, __m128i prev1, __m128i prev2,
                                                           __m128i prev3) noexcept {
  const __m128i nibble = _mm_set1_epi8(0x0F);
  const __m128i t1h = _mm_load_si128(reinterpret_cast<const __m128i*>(byte_1_high.bytes));
  const __m128i t1l = _mm_load_si128(reinterpret_cast<const __m128i*>(byte_1_low.bytes));
  const __m128i t2h = _mm_load_si128(reinterpret_cast<const __m128i*>(byte_2_high.bytes));
  const __m128i b1h = _mm_shuffle_epi8(t1h, _mm_and_si128(_mm_srli_epi16(prev1, 4), nibble));
  const __m128i b1l = _mm_shuffle_epi8(t1l, _mm_and_si128(prev1, nibble));
  const __m128i b2h = _mm_shuffle_epi8(t2h, _mm_and_si128(_mm_srli_epi16(in, 4), nibble));
  const __m128i special = _mm_and_si128(_mm_and_si128(b1h, b1l), b2h);
  const __m128i third = _mm_subs_epu8(prev2, _mm_set1_epi8(third_byte_bias));
  const __m128i fourth = _mm_subs_epu8(prev3, _mm_set1_epi8(fourth_byte_bias));
  const __m128i must_be_cont =
      _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8(static_cast<char>(0x80)));
  // A continuation after a continuation is an error unless a lead 2 or 3 bytes back asked for it;
  // a lead asking for one that is not there leaves bit 7 set as well.
  return _mm_xor_si128(must_be_cont, special);
}

RTWIRE_UTF8_TARGET_SSSE3 inline __m128i load_ssse3(const unsigned char* p) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

RTWIRE_UTF8_TARGET_SSSE3 inline bool any_ssse3(__m128i v) noexcept {
  return _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())) != 0xFFFF;
}

/// Errors of the block at p + i, i >= 3, reading its previous bytes from memory.
RTWIRE_UTF8_TARGET_SSSE3 inline __m128i errors_at_ssse3(const unsigned char* p,
                                                        std::size_t i) noexcept {
  return block_errors_ssse3(load_ssse3(p + i), load_ssse3(p + i - 1), load_ssse3(p + i - 2),
                            load_ssse3(p + i - 3));
}

/// The length of a prefix of p[0, n) proved valid and ending on a code-point boundary; the first
/// error, if any, lies within 64 + 3 bytes after it; when there is none, it is >= n - 3.
/// Requires n >= min_size_ssse3 and p at a code-point boundary.
RTWIRE_UTF8_TARGET_SSSE3 inline std::size_t valid_prefix_ssse3(const unsigned char* p,
                                                               std::size_t n) noexcept {
  // First block: nothing before p counts, so its previous bytes come from zeros (ASCII).
  {
    const __m128i in = load_ssse3(p);
    const __m128i zero = _mm_setzero_si128();
    const __m128i err =
        block_errors_ssse3(in, _mm_alignr_epi8(in, zero, 15), _mm_alignr_epi8(in, zero, 14),
                           _mm_alignr_epi8(in, zero, 13));
    if (any_ssse3(err)) return 0;
  }
  std::size_t i = 16;
  for (; n - i >= 64; i += 64) {
    const __m128i a = load_ssse3(p + i), b = load_ssse3(p + i + 16);
    const __m128i c = load_ssse3(p + i + 32), d = load_ssse3(p + i + 48);
    if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d))) == 0) {
      // ASCII: valid unless the bytes before it left a sequence unfinished.
      if (p[i - 1] >= 0xC0 || p[i - 2] >= 0xE0 || p[i - 3] >= 0xF0) break;
      continue;
    }
    const __m128i err =
        _mm_or_si128(_mm_or_si128(errors_at_ssse3(p, i), errors_at_ssse3(p, i + 16)),
                     _mm_or_si128(errors_at_ssse3(p, i + 32), errors_at_ssse3(p, i + 48)));
    if (any_ssse3(err)) break;
  }
  if (n - i >= 64) return boundary_before(p, i);  // stopped at an error
  for (; n - i >= 16; i += 16) {
    if (any_ssse3(errors_at_ssse3(p, i))) return boundary_before(p, i);
  }
  // The last partial block: an overlapping full block ending at n (n >= 19, so its previous
  // bytes are inside the buffer). Its lanes before i recompute results already known clean.
  if (i < n && any_ssse3(errors_at_ssse3(p, n - 16))) return boundary_before(p, i);
  return boundary_before(p, n);
}

// ------------------------------------------------------------------------------------------------
// AVX2 (32-byte blocks)
// ------------------------------------------------------------------------------------------------

RTWIRE_UTF8_TARGET_AVX2 inline __m256i table_avx2(const lookup_table& t) noexcept {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(t.bytes));
}

RTWIRE_UTF8_TARGET_AVX2 inline __m256i block_errors_avx2(__m256i in, __m256i prev1, __m256i prev2,
                                                         __m256i prev3) noexcept {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i b1h = _mm256_shuffle_epi8(table_avx2(byte_1_high),
                                          _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nibble));
  const __m256i b1l = _mm256_shuffle_epi8(table_avx2(byte_1_low), _mm256_and_si256(prev1, nibble));
  const __m256i b2h = _mm256_shuffle_epi8(table_avx2(byte_2_high),
                                          _mm256_and_si256(_mm256_srli_epi16(in, 4), nibble));
  const __m256i special = _mm256_and_si256(_mm256_and_si256(b1h, b1l), b2h);
  const __m256i third = _mm256_subs_epu8(prev2, _mm256_set1_epi8(third_byte_bias));
  const __m256i fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8(fourth_byte_bias));
  const __m256i must_be_cont =
      _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8(static_cast<char>(0x80)));
  return _mm256_xor_si256(must_be_cont, special);
}

RTWIRE_UTF8_TARGET_AVX2 inline __m256i load_avx2(const unsigned char* p) noexcept {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

RTWIRE_UTF8_TARGET_AVX2 inline __m256i errors_at_avx2(const unsigned char* p,
                                                      std::size_t i) noexcept {
  return block_errors_avx2(load_avx2(p + i), load_avx2(p + i - 1), load_avx2(p + i - 2),
                           load_avx2(p + i - 3));
}

/// As valid_prefix_ssse3, with 32-byte blocks in groups of 4 (an error lies within 128 + 3 bytes
/// of the returned boundary). Requires n >= min_size_avx2.
RTWIRE_UTF8_TARGET_AVX2 inline std::size_t valid_prefix_avx2(const unsigned char* p,
                                                             std::size_t n) noexcept {
  {
    const __m256i in = load_avx2(p);
    // Lane-crossing shift: [zeros, low half of in] supplies the bytes before each 16-byte lane.
    const __m256i before = _mm256_permute2x128_si256(_mm256_setzero_si256(), in, 0x21);
    const __m256i err =
        block_errors_avx2(in, _mm256_alignr_epi8(in, before, 15),
                          _mm256_alignr_epi8(in, before, 14), _mm256_alignr_epi8(in, before, 13));
    if (!_mm256_testz_si256(err, err)) return 0;
  }
  std::size_t i = 32;
  for (; n - i >= 128; i += 128) {
    const __m256i a = load_avx2(p + i), b = load_avx2(p + i + 32);
    const __m256i c = load_avx2(p + i + 64), d = load_avx2(p + i + 96);
    if (_mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d))) == 0) {
      if (p[i - 1] >= 0xC0 || p[i - 2] >= 0xE0 || p[i - 3] >= 0xF0) break;
      continue;
    }
    const __m256i err =
        _mm256_or_si256(_mm256_or_si256(errors_at_avx2(p, i), errors_at_avx2(p, i + 32)),
                        _mm256_or_si256(errors_at_avx2(p, i + 64), errors_at_avx2(p, i + 96)));
    if (!_mm256_testz_si256(err, err)) break;
  }
  if (n - i >= 128) return boundary_before(p, i);
  for (; n - i >= 32; i += 32) {
    const __m256i err = errors_at_avx2(p, i);
    if (!_mm256_testz_si256(err, err)) return boundary_before(p, i);
  }
  if (i < n) {
    const __m256i err = errors_at_avx2(p, n - 32);
    if (!_mm256_testz_si256(err, err)) return boundary_before(p, i);
  }
  return boundary_before(p, n);
}

}  // namespace rtwire::utf8::detail

#undef RTWIRE_UTF8_TARGET_SSE2
#undef RTWIRE_UTF8_TARGET_SSSE3
#undef RTWIRE_UTF8_TARGET_AVX2

#endif  // RTWIRE_X86_DISPATCH
