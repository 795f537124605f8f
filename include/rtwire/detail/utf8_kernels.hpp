// rtwire — UTF-8 validation kernels (internal; the public API is rtwire/core/utf8.hpp).
//
// Two layers:
//  1. A scalar DFA whose transitions are Unicode Table 3-7 ("Well-Formed UTF-8 Byte Sequences",
//     the same table as RFC 3629 §4). It rejects at the first byte that cannot extend a valid
//     prefix, which is exactly the fail-fast offset the API promises, and it is the reference
//     every other path must agree with.
//  2. SIMD kernels (SSSE3, AVX2, AVX-512 BW) implementing the Keiser–Lemire "lookup" algorithm
//     ("Validating UTF-8 in less than one instruction per byte", 2021): three 16-entry nibble
//     lookups classify every (previous byte, byte) pair, plus a check that the 3rd/4th bytes of
//     3- and 4-byte sequences are continuations. A kernel never computes an error offset itself:
//     it returns the longest prefix it has proved valid, cut back to a code-point boundary, and
//     the scalar DFA resumes from there. So every path gives the scalar path's answer by
//     construction, and the scalar work is bounded by one block group plus 3 bytes.
//
// A pure-SSE2 CPU gets the scalar DFA with a 16-byte SSE2 ASCII skip (pshufb needs SSSE3).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "rtwire/detail/cpu.hpp"
#include "rtwire/detail/mask_kernels.hpp"

#if RTWIRE_X86_DISPATCH
#include <immintrin.h>
// Function-level targets (no -march needed); a macro because an attribute cannot be a template.
#define RTWIRE_UTF8_TARGET_SSE2 __attribute__((target("sse2")))
#define RTWIRE_UTF8_TARGET_SSSE3 __attribute__((target("sse2,ssse3")))
#define RTWIRE_UTF8_TARGET_AVX2 __attribute__((target("avx2")))
#define RTWIRE_UTF8_TARGET_AVX512 __attribute__((target("avx2,avx512f,avx512bw,avx512vl")))
#endif

namespace rtwire::utf8::detail {

// ------------------------------------------------------------------------------------------------
// Scalar DFA (Unicode Table 3-7)
// ------------------------------------------------------------------------------------------------
//
// A "shift DFA": the row for a byte packs the next state for every current state into 6-bit
// fields of one 64-bit word, and a state is the bit offset of its field. One step is
// `state = row[byte] >> (state & 63)` — a single shift on the dependency chain, no branch.

/// DFA states, stored as their field's bit offset (index * 6). `accept` is 0 so that "at a
/// code-point boundary" is a test against zero.
enum dfa_state : std::uint8_t {
  accept = 0,     // between code points
  reject = 6,     // absorbing: the input is not a valid prefix
  need_1 = 12,    // one more 80..BF completes the code point
  need_2 = 18,    // two more 80..BF
  need_3 = 24,    // three more 80..BF (after F1..F3)
  after_e0 = 30,  // Table 3-7: E0 is followed by A0..BF (no overlong 3-byte forms)
  after_ed = 36,  // Table 3-7: ED is followed by 80..9F (no surrogates D800..DFFF)
  after_f0 = 42,  // Table 3-7: F0 is followed by 90..BF (no overlong 4-byte forms)
  after_f4 = 48,  // Table 3-7: F4 is followed by 80..8F (nothing above U+10FFFF)
};

inline constexpr std::uint8_t dfa_state_mask = 63;

/// One transition of Table 3-7, written out rule by rule (used to build the table).
constexpr std::uint8_t table_3_7_next(std::uint8_t state, std::uint8_t b) noexcept {
  const bool cont = b >= 0x80 && b <= 0xBF;
  switch (state) {
    case accept:
      if (b <= 0x7F) return accept;               // U+0000..U+007F: 00..7F
      if (b >= 0xC2 && b <= 0xDF) return need_1;  // U+0080..U+07FF: C2..DF 80..BF
      if (b == 0xE0) return after_e0;             // U+0800..U+0FFF: E0 A0..BF 80..BF
      if (b >= 0xE1 && b <= 0xEC) return need_2;  // U+1000..U+CFFF: E1..EC 80..BF 80..BF
      if (b == 0xED) return after_ed;             // U+D000..U+D7FF: ED 80..9F 80..BF
      if (b >= 0xEE && b <= 0xEF) return need_2;  // U+E000..U+FFFF: EE..EF 80..BF 80..BF
      if (b == 0xF0) return after_f0;             // U+10000..U+3FFFF: F0 90..BF 80..BF 80..BF
      if (b >= 0xF1 && b <= 0xF3) return need_3;  // U+40000..U+FFFFF: F1..F3 80..BF x3
      if (b == 0xF4) return after_f4;             // U+100000..U+10FFFF: F4 80..8F 80..BF 80..BF
      return reject;  // 80..BF without a lead; C0, C1 (overlong); F5..FF (never in UTF-8)
    case need_1:
      return cont ? accept : reject;
    case need_2:
      return cont ? need_1 : reject;
    case need_3:
      return cont ? need_2 : reject;
    case after_e0:
      return (b >= 0xA0 && b <= 0xBF) ? need_1 : reject;
    case after_ed:
      return (b >= 0x80 && b <= 0x9F) ? need_1 : reject;
    case after_f0:
      return (b >= 0x90 && b <= 0xBF) ? need_2 : reject;
    case after_f4:
      return (b >= 0x80 && b <= 0x8F) ? need_2 : reject;
    default:
      return reject;
  }
}

constexpr std::array<std::uint64_t, 256> make_dfa_table() noexcept {
  std::array<std::uint64_t, 256> rows{};
  constexpr std::uint8_t states[] = {accept,   reject,   need_1,   need_2,  need_3,
                                     after_e0, after_ed, after_f0, after_f4};
  for (unsigned b = 0; b < 256; ++b) {
    std::uint64_t row = 0;
    for (const std::uint8_t s : states) {
      row |= std::uint64_t{table_3_7_next(s, static_cast<std::uint8_t>(b))} << s;
    }
    rows[b] = row;
  }
  return rows;
}

alignas(64) inline constexpr std::array<std::uint64_t, 256> dfa_table = make_dfa_table();

inline std::uint8_t dfa_step(std::uint8_t state, unsigned char b) noexcept {
  return static_cast<std::uint8_t>((dfa_table[b] >> (state & dfa_state_mask)) & dfa_state_mask);
}

/// Outcome of scanning a buffer: the DFA state after it, and, when `state == reject`, the index
/// of the rejected byte in `pos` (otherwise `pos` is the buffer size).
struct scan_result {
  std::uint8_t state;
  std::size_t pos;
};

inline std::uint64_t load_u64(const unsigned char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

inline constexpr std::uint64_t high_bits = 0x8080808080808080u;

/// Portable ASCII skip: from a code-point boundary `i`, the first index whose 8-byte word
/// contains a non-ASCII byte (or that has fewer than 8 bytes left).
inline std::size_t skip_ascii_words(const unsigned char* p, std::size_t i, std::size_t n) noexcept {
  while (n - i >= 16 && ((load_u64(p + i) | load_u64(p + i + 8)) & high_bits) == 0)
    i += 16;
  while (n - i >= 8 && (load_u64(p + i) & high_bits) == 0)
    i += 8;
  return i;
}

/// The DFA over p[i, n) from `state`, skipping ASCII runs with `skip` whenever it sits on a
/// code-point boundary. The inner loop steps 16 bytes without testing for `reject` (it is
/// absorbing); only a stretch that ends rejected is re-run byte by byte to find the exact byte.
template <class Skip>
inline scan_result dfa_scan(std::uint8_t state, const unsigned char* p, std::size_t i,
                            std::size_t n, Skip skip) noexcept {
  std::uint64_t s = state;
  while (i < n) {
    if (s == accept) {
      i = skip(p, i, n);
      if (i == n) break;
    }
    const std::size_t stop = n - i > 16 ? i + 16 : n;
    std::uint64_t t = s;
    for (std::size_t j = i; j < stop; ++j)
      t = dfa_table[p[j]] >> (t & dfa_state_mask);
    t &= dfa_state_mask;
    if (t == reject) {
      std::uint8_t r = static_cast<std::uint8_t>(s);
      for (std::size_t j = i;; ++j) {
        r = dfa_step(r, p[j]);
        if (r == reject) return {reject, j};
      }
    }
    s = t;
    i = stop;
  }
  return {static_cast<std::uint8_t>(s), n};
}

/// Given that p[0, b) has been proved a valid prefix *except possibly for its last 3 bytes*
/// (a kernel flags an invalid lead byte only at the byte after it, and an unfinished sequence
/// only when a later byte breaks it), returns the last code-point boundary at or before `b`:
/// looking back at most 3 bytes, after the last ASCII byte or at the last lead byte.
inline std::size_t boundary_before(const unsigned char* p, std::size_t b) noexcept {
  for (std::size_t k = 1; k <= 3; ++k) {
    if (k > b) return 0;
    const unsigned char c = p[b - k];
    if (c < 0x80) return b - k + 1;
    if (c >= 0xC0) return b - k;
  }
  return b;  // three continuation bytes end a complete 4-byte sequence
}

// ------------------------------------------------------------------------------------------------
// Keiser–Lemire lookup tables
// ------------------------------------------------------------------------------------------------
//
// Each (previous byte, byte) pair is classified by AND-ing three lookups: the high nibble of the
// previous byte, its low nibble, and the high nibble of the byte. A bit survives only if all
// three agree that the pair shows that error. The error bits:
inline constexpr std::uint8_t too_short = 1 << 0;       // 11______ 0_______ or 11______ 11______
inline constexpr std::uint8_t too_long = 1 << 1;        // 0_______ 10______
inline constexpr std::uint8_t overlong_3 = 1 << 2;      // 11100000 100_____  (E0 80..9F)
inline constexpr std::uint8_t too_large = 1 << 3;       // 11110100 1001____ .. (> U+10FFFF)
inline constexpr std::uint8_t surrogate = 1 << 4;       // 11101101 101_____  (ED A0..BF)
inline constexpr std::uint8_t overlong_2 = 1 << 5;      // 1100000_ 10______  (C0, C1)
inline constexpr std::uint8_t too_large_1000 = 1 << 6;  // 11110101.. 1000____ (F5..FF 80..8F)
inline constexpr std::uint8_t overlong_4 = 1 << 6;      // 11110000 1000____  (F0 80..8F)
inline constexpr std::uint8_t two_conts = 1 << 7;       // 10______ 10______
// Bits that hold whatever the previous byte's low nibble is.
inline constexpr std::uint8_t carry = too_short | too_long | two_conts;

inline constexpr std::uint8_t byte_1_high_row[16] = {
    // 0_______: ASCII
    too_long, too_long, too_long, too_long, too_long, too_long, too_long, too_long,
    // 10______: continuation
    two_conts, two_conts, two_conts, two_conts,
    // 1100____: C0..CF
    too_short | overlong_2,
    // 1101____: D0..DF
    too_short,
    // 1110____: E0..EF
    too_short | overlong_3 | surrogate,
    // 1111____: F0..FF
    too_short | too_large | too_large_1000 | overlong_4};

inline constexpr std::uint8_t byte_1_low_row[16] = {
    carry | overlong_3 | overlong_2 | overlong_4,  // ____0000: C0, E0, F0
    carry | overlong_2,                            // ____0001: C1
    carry,                                         // ____0010
    carry,                                         // ____0011
    carry | too_large,                             // ____0100: F4
    carry | too_large | too_large_1000,            // ____0101..: F5..FF
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000 | surrogate,  // ____1101: ED
    carry | too_large | too_large_1000,
    carry | too_large | too_large_1000};

inline constexpr std::uint8_t byte_2_high_row[16] = {
    // ________ 0_______: ASCII after a lead byte
    too_short, too_short, too_short, too_short, too_short, too_short, too_short, too_short,
    // ________ 1000____
    too_long | overlong_2 | two_conts | overlong_3 | too_large_1000 | overlong_4,
    // ________ 1001____
    too_long | overlong_2 | two_conts | overlong_3 | too_large,
    // ________ 101_____
    too_long | overlong_2 | two_conts | surrogate | too_large,
    too_long | overlong_2 | two_conts | surrogate | too_large,
    // ________ 11______: a lead byte after a lead byte
    too_short, too_short, too_short, too_short};

/// The 16-entry tables repeated 4 times, so each kernel loads its width (16, 32 or 64 bytes)
/// with one aligned load: vpshufb looks up within each 16-byte lane.
struct lookup_table {
  alignas(64) std::uint8_t bytes[64];
};

constexpr lookup_table replicate(const std::uint8_t (&row)[16]) noexcept {
  lookup_table t{};
  for (std::size_t i = 0; i < 64; ++i)
    t.bytes[i] = row[i % 16];
  return t;
}

inline constexpr lookup_table byte_1_high = replicate(byte_1_high_row);
inline constexpr lookup_table byte_1_low = replicate(byte_1_low_row);
inline constexpr lookup_table byte_2_high = replicate(byte_2_high_row);

// A byte at distance 2 from a lead >= E0, or at distance 3 from a lead >= F0, must be a
// continuation: subtracting with saturation leaves bit 7 set exactly for those leads.
inline constexpr std::uint8_t third_byte_bias = 0xE0 - 0x80;
inline constexpr std::uint8_t fourth_byte_bias = 0xF0 - 0x80;

/// Minimum input sizes for the SIMD kernels (below them the scalar DFA is faster anyway, and
/// SSSE3/AVX2 need one block plus the 3 bytes before their last, overlapping block).
inline constexpr std::size_t min_size_ssse3 = 19;
inline constexpr std::size_t min_size_avx2 = 35;
inline constexpr std::size_t min_size_avx512 = 8;

#if RTWIRE_X86_DISPATCH

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

// ------------------------------------------------------------------------------------------------
// AVX-512 BW (64-byte blocks)
// ------------------------------------------------------------------------------------------------
//
// Each block gets its previous bytes from the block before it (one lane-crossing vpermt2q and
// three vpalignr) instead of unaligned loads at p-1, p-2, p-3, and the main loop reads 64-byte
// aligned blocks, so no load splits a cache line: on 1 MiB of Korean text that measured ~8%
// faster. Masked loads (which never fault on masked-off bytes) read the head and the tail, so no
// byte outside the buffer is touched.

RTWIRE_UTF8_TARGET_AVX512 inline __m512i table_avx512(const lookup_table& t) noexcept {
  return _mm512_load_si512(t.bytes);
}

RTWIRE_UTF8_TARGET_AVX512 inline __m512i block_errors_avx512(__m512i in, __m512i prev1,
                                                             __m512i prev2,
                                                             __m512i prev3) noexcept {
  const __m512i nibble = _mm512_set1_epi8(0x0F);
  const __m512i b1h = _mm512_shuffle_epi8(table_avx512(byte_1_high),
                                          _mm512_and_si512(_mm512_srli_epi16(prev1, 4), nibble));
  const __m512i b1l =
      _mm512_shuffle_epi8(table_avx512(byte_1_low), _mm512_and_si512(prev1, nibble));
  const __m512i b2h = _mm512_shuffle_epi8(table_avx512(byte_2_high),
                                          _mm512_and_si512(_mm512_srli_epi16(in, 4), nibble));
  const __m512i special = _mm512_ternarylogic_epi64(b1h, b1l, b2h, 0x80);  // a & b & c
  const __m512i third = _mm512_subs_epu8(prev2, _mm512_set1_epi8(third_byte_bias));
  const __m512i fourth = _mm512_subs_epu8(prev3, _mm512_set1_epi8(fourth_byte_bias));
  const __m512i must_be_cont = _mm512_ternarylogic_epi64(
      third, fourth, _mm512_set1_epi8(static_cast<char>(0x80)), 0xA8);  // (a | b) & c
  return _mm512_xor_si512(must_be_cont, special);
}

/// Errors of block `in` given the 64 bytes before it.
RTWIRE_UTF8_TARGET_AVX512 inline __m512i carried_errors_avx512(__m512i in, __m512i prev) noexcept {
  // Per 128-bit lane, the 16 bytes before it: [prev's last lane, in's first three lanes].
  const __m512i before =
      _mm512_permutex2var_epi64(prev, _mm512_set_epi64(13, 12, 11, 10, 9, 8, 7, 6), in);
  return block_errors_avx512(in, _mm512_alignr_epi8(in, before, 15),
                             _mm512_alignr_epi8(in, before, 14),
                             _mm512_alignr_epi8(in, before, 13));
}

RTWIRE_UTF8_TARGET_AVX512 inline bool any_avx512(__m512i v, __mmask64 lanes) noexcept {
  return (_mm512_test_epi8_mask(v, v) & lanes) != 0;
}

inline __mmask64 first_lanes(std::size_t len) noexcept {
  return len >= 64 ? ~__mmask64{0} : (__mmask64{1} << len) - 1;
}

/// Largest byte values that do not leave a sequence open at the end of a block: anything in the
/// last byte >= C0, the second-to-last >= E0 or the third-to-last >= F0 needs bytes after it.
alignas(64) inline constexpr std::array<std::uint8_t, 64> block_end_limits = [] {
  std::array<std::uint8_t, 64> limits{};
  for (auto& l : limits)
    l = 0xFF;
  limits[61] = 0xEF;
  limits[62] = 0xDF;
  limits[63] = 0xBF;
  return limits;
}();

RTWIRE_UTF8_TARGET_AVX512 inline bool ends_open_avx512(__m512i block) noexcept {
  const __m512i over = _mm512_subs_epu8(block, _mm512_load_si512(block_end_limits.data()));
  return _mm512_test_epi8_mask(over, over) != 0;
}

RTWIRE_UTF8_TARGET_AVX512 inline __m512i load_avx512(const unsigned char* p) noexcept {
  return _mm512_loadu_si512(p);
}

/// What valid_prefix_avx512_impl() found: the valid prefix (as valid_prefix_avx512 returns it)
/// and how many bytes from the start it had read through `block` when it stopped.
struct avx512_prefix {
  std::size_t prefix;
  std::size_t read;
};

/// The body of valid_prefix_avx512, reading every byte once through `block(i, lanes)`, which
/// returns the 64 bytes at p + i (lanes off: zero; they are never read) and may rewrite them in
/// place (the fused unmasking of valid_prefix_xor_avx512), and `block.first(lanes)` for the head
/// block at p (i == 0, resolved at compile time rather than per block). Other reads of p (the
/// previous block after a short head, the ASCII-mode probe, boundary_before) happen only after
/// `block` has returned the bytes they read.
template <class Block>
[[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 inline avx512_prefix valid_prefix_avx512_impl(
    const unsigned char* p, std::size_t n, Block block) noexcept {
  // Head: up to the first 64-byte boundary when the input is long enough for alignment to pay,
  // else the first 64 bytes. Nothing before p counts, so its previous bytes are zeros (ASCII).
  const std::size_t misalign = reinterpret_cast<std::uintptr_t>(p) & 63;
  std::size_t head = n >= 256 && misalign != 0 ? 64 - misalign : 64;
  if (head > n) head = n;
  const __m512i first = block.first(first_lanes(head));
  // (An all-ASCII head after nothing cannot hold an error: skip the lookups.)
  if (_mm512_movepi8_mask(first) != 0 &&
      any_avx512(carried_errors_avx512(first, _mm512_setzero_si512()), first_lanes(head))) {
    return {0, head};
  }
  std::size_t i = head;
  if (i == n) return {boundary_before(p, n), n};
  // The 64 bytes that end at p + i, the lanes before p masked off (address arithmetic through
  // uintptr_t: the masked load never touches them).
  __m512i prev =
      head == 64
          ? first
          : _mm512_maskz_loadu_epi8(
                ~__mmask64{0} << (64 - head),
                reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(p) + head - 64));
  // ASCII fast path, taken only while `prev` is known not to leave a sequence open (then an
  // all-ASCII group is valid as it is). Inside non-ASCII text the ASCII test is skipped until a
  // group ends in 8 ASCII bytes (a scalar load: no vector port spent on guessing).
  bool ascii_mode = !ends_open_avx512(prev);
  const __mmask64 all = ~__mmask64{0};
  for (; n - i >= 256; i += 256) {
    block.prefetch(i);
    const __m512i a = block(i, all), b = block(i + 64, all);
    const __m512i c = block(i + 128, all), d = block(i + 192, all);
    if (ascii_mode &&
        _mm512_movepi8_mask(_mm512_ternarylogic_epi64(a, b, _mm512_or_si512(c, d), 0xFE)) == 0) {
      prev = d;
      continue;
    }
    const __m512i err = _mm512_or_si512(
        _mm512_ternarylogic_epi64(carried_errors_avx512(a, prev), carried_errors_avx512(b, a),
                                  carried_errors_avx512(c, b), 0xFE),  // a|b|c
        carried_errors_avx512(d, c));
    if (any_avx512(err, all)) return {boundary_before(p, i), i + 256};  // stopped at an error
    prev = d;
    // (A block source that stores its blocks tests the register: loading 8 bytes of a 64-byte
    // store that is still in flight stalled store forwarding.)
    ascii_mode = Block::stores ? (_mm512_movepi8_mask(d) >> 56) == 0
                               : (load_u64(p + i + 248) & high_bits) == 0;
  }
  for (; n - i >= 64; i += 64) {
    const __m512i in = block(i, all);
    if (any_avx512(carried_errors_avx512(in, prev), all)) return {boundary_before(p, i), i + 64};
    prev = in;
  }
  if (i < n) {
    const __mmask64 lanes = first_lanes(n - i);
    const __m512i in = block(i, lanes);
    // An ASCII tail is valid unless `prev` left a sequence open.
    if ((_mm512_movepi8_mask(in) != 0 || ends_open_avx512(prev)) &&
        any_avx512(carried_errors_avx512(in, prev), lanes)) {
      return {boundary_before(p, i), n};
    }
  }
  return {boundary_before(p, n), n};
}

/// The blocks of valid_prefix_avx512: plain loads (masked ones, which never fault on the lanes
/// they leave off, for the head and the tail).
struct load_blocks_avx512 {
  static constexpr bool stores = false;
  const unsigned char* p;
  [[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 __m512i
  operator()(std::size_t i, __mmask64 lanes) const noexcept {
    return lanes == ~__mmask64{0} ? load_avx512(p + i) : _mm512_maskz_loadu_epi8(lanes, p + i);
  }
  [[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 __m512i first(__mmask64 lanes) const noexcept {
    return (*this)(0, lanes);
  }
  void prefetch(std::size_t) const noexcept {}
};

/// As valid_prefix_ssse3, with 64-byte blocks in groups of 4 (an error lies within 256 + 3
/// bytes of the returned boundary). Requires n >= min_size_avx512.
RTWIRE_UTF8_TARGET_AVX512 inline std::size_t valid_prefix_avx512(const unsigned char* p,
                                                                 std::size_t n) noexcept {
  return valid_prefix_avx512_impl(p, n, load_blocks_avx512{p}).prefix;
}

/// The blocks of valid_prefix_xor_avx512: each loaded, XORed with the pattern for its phase,
/// stored back and returned.
struct xor_blocks_avx512 {
  static constexpr bool stores = true;
  unsigned char* p;
  __m512i at_0;     // the pattern for the block at p
  __m512i at_head;  // the pattern for every later block (they start a multiple of 64 apart)
  [[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 __m512i
  operator()(std::size_t i, __mmask64 lanes) const noexcept {
    return xor_at(i, lanes, at_head);
  }
  /// The head block, at p (its own key phase).
  [[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 __m512i first(__mmask64 lanes) const noexcept {
    return xor_at(0, lanes, at_0);
  }
  [[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 __m512i xor_at(std::size_t i, __mmask64 lanes,
                                                                  __m512i k) const noexcept {
    if (lanes == ~__mmask64{0}) {
      const __m512i v = _mm512_xor_si512(load_avx512(p + i), k);
      _mm512_storeu_si512(p + i, v);
      return v;
    }
    const __m512i v = _mm512_xor_si512(_mm512_maskz_loadu_epi8(lanes, p + i), k);
    _mm512_mask_storeu_epi8(p + i, lanes, v);
    return _mm512_maskz_mov_epi8(lanes, v);  // lanes off are zero, as after a masked load
  }
  /// Asks for the group `prefetch_distance` bytes after the one at p + i (prefetches never
  /// fault, so the address may lie past the buffer: it is computed as an integer).
  [[gnu::always_inline]] RTWIRE_UTF8_TARGET_AVX512 void prefetch(std::size_t i) const noexcept {
    const std::uintptr_t at = reinterpret_cast<std::uintptr_t>(p) + i + prefetch_distance;
    for (std::uintptr_t k = 0; k < 256; k += 64)
      _mm_prefetch(reinterpret_cast<const char*>(at + k), _MM_HINT_T0);
  }
  static constexpr std::size_t prefetch_distance = 4096;
};

/// XORs p[0, n) in place with `word` repeated (its memory image is the 4-byte pattern for p[0],
/// e.g. a WebSocket masking key at its phase, RFC 6455 §5.3) and returns valid_prefix_avx512() of
/// the result, in one pass: each block is loaded once, XORed, stored and validated from the
/// register, so a payload streaming in from memory is validated while the next lines load. All
/// n bytes are XORed, also when validation stops early (the caller's DFA reads on from the
/// prefix). Requires n >= min_size_avx512.
RTWIRE_UTF8_TARGET_AVX512 inline std::size_t valid_prefix_xor_avx512(unsigned char* p,
                                                                     std::size_t n,
                                                                     std::uint32_t word) noexcept {
  // The same head as valid_prefix_avx512_impl's: every block after it starts at a multiple of 64
  // (so of 4) past it, at the same key phase.
  const std::size_t misalign = reinterpret_cast<std::uintptr_t>(p) & 63;
  const std::size_t head = n >= 256 && misalign != 0 ? 64 - misalign : 0;
  const xor_blocks_avx512 blocks{
      p, _mm512_set1_epi32(static_cast<int>(word)),
      _mm512_set1_epi32(static_cast<int>(rtwire::detail::advance_mask_word(word, head)))};
  const avx512_prefix r = valid_prefix_avx512_impl(p, n, blocks);
  if (r.read < n) {
    rtwire::detail::mask_dispatch(p + r.read, p + r.read, n - r.read,
                                  rtwire::detail::advance_mask_word(word, r.read));
  }
  return r.prefix;
}

#endif  // RTWIRE_X86_DISPATCH

// ------------------------------------------------------------------------------------------------
// Dispatch
// ------------------------------------------------------------------------------------------------

/// The kernels, in the order dispatch prefers them.
enum class kernel : std::uint8_t { scalar, sse2, ssse3, avx2, avx512 };

/// The kernel the next call will use, from rtwire::detail::cpu_features() (which honours
/// cpu_features_override, so tests and benchmarks can force any of them).
inline kernel selected_kernel() noexcept {
#if RTWIRE_X86_DISPATCH
  const std::uint32_t f = rtwire::detail::cpu_features();
  if (f & rtwire::detail::cpu_avx512) return kernel::avx512;
  if (f & rtwire::detail::cpu_avx2) return kernel::avx2;
  if (f & rtwire::detail::cpu_ssse3) return kernel::ssse3;
  if (f & rtwire::detail::cpu_sse2) return kernel::sse2;
#endif
  return kernel::scalar;
}

/// Validates p[0, n) continuing from DFA `state` (accept at the start of a stream). Fail-fast:
/// stops at the first byte that cannot extend a valid prefix.
inline scan_result scan(std::uint8_t state, const unsigned char* p, std::size_t n) noexcept {
  std::size_t i = 0;
  // Finish a code point left open by the previous chunk (at most 3 bytes).
  while (state != accept && i < n) {
    state = dfa_step(state, p[i]);
    if (state == reject) return {reject, i};
    ++i;
  }
  if (state != accept) return {state, n};
#if RTWIRE_X86_DISPATCH
  const std::size_t rest = n - i;
  switch (selected_kernel()) {
    case kernel::avx512:
      if (rest >= min_size_avx512) i += valid_prefix_avx512(p + i, rest);
      break;
    case kernel::avx2:
      if (rest >= min_size_avx2) i += valid_prefix_avx2(p + i, rest);
      break;
    case kernel::ssse3:
      if (rest >= min_size_ssse3) i += valid_prefix_ssse3(p + i, rest);
      break;
    case kernel::sse2: {
      const scan_result r = scan_sse2(p + i, rest);
      return {r.state, r.pos + i};
    }
    case kernel::scalar:
      break;
  }
#endif
  // The scalar DFA: all of the input for the scalar kernel, else what the SIMD kernel left (at
  // most 3 bytes when valid; up to one block group before the first error otherwise).
  return dfa_scan(accept, p, i, n, skip_ascii_words);
}

/// Below this size scan_xor() unmasks, then validates (two passes over bytes that stay in L1).
inline constexpr std::size_t min_size_xor_fused = 256;

/// XORs p[0, n) in place with `word` repeated (its memory image is the 4-byte pattern for p[0])
/// and validates the result as scan() does, continuing from DFA `state`. With the AVX-512 kernel
/// both happen in one pass (each byte loaded once); otherwise the XOR pass runs first. All n
/// bytes are XORed whatever the outcome.
inline scan_result scan_xor(std::uint8_t state, unsigned char* p, std::size_t n,
                            std::uint32_t word) noexcept {
#if RTWIRE_X86_DISPATCH
  if (selected_kernel() == kernel::avx512 && n >= min_size_xor_fused) {
    unsigned char pattern[4];
    std::memcpy(pattern, &word, 4);
    std::size_t i = 0;
    // Finish a code point left open by the previous chunk (at most 3 bytes), byte by byte.
    for (; state != accept; ++i) {
      p[i] ^= pattern[i & 3];
      state = dfa_step(state, p[i]);
      if (state == reject) {
        rtwire::detail::mask_dispatch(p + i + 1, p + i + 1, n - i - 1,
                                      rtwire::detail::advance_mask_word(word, i + 1));
        return {reject, i};
      }
    }
    i += valid_prefix_xor_avx512(p + i, n - i, rtwire::detail::advance_mask_word(word, i));
    return dfa_scan(accept, p, i, n, skip_ascii_words);
  }
#endif
  rtwire::detail::mask_dispatch(p, p, n, word);
  return scan(state, p, n);
}

}  // namespace rtwire::utf8::detail

#if RTWIRE_X86_DISPATCH
#undef RTWIRE_UTF8_TARGET_SSE2
#undef RTWIRE_UTF8_TARGET_SSSE3
#undef RTWIRE_UTF8_TARGET_AVX2
#undef RTWIRE_UTF8_TARGET_AVX512
#endif
