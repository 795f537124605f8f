// rtwire — internals: a whole buffer classified in one pass into a bitmap, one bit per byte, set
// for the bytes that are one of a few values (a text codec's line ends and forbidden bytes), and
// on request whether any byte is >= 0x80. A parser that reads a complete document (the SDP
// session parser, rtwire/sdp/detail/line_scanner.hpp) or a window of a stream (the SSE decoder,
// rtwire/sse/scan.hpp) then finds each line end with a shift and a count-trailing-zeros, with no
// per-block branch in its line loop. crlf_bitmap() is the same pass for a text of CRLF lines:
// the bitmap of its LFs, and whether every line end is a CRLF (then the LFs alone are the line
// ends). The 64-byte classification is byte_blocks.hpp's (SSE2, the x86-64 baseline, or the
// portable loop); on x86 the AVX2 and AVX-512 BW variants of the same classification are compiled
// with target attributes and chosen at run time from rtwire::detail::cpu_features() (cpu.hpp).
// Every path writes identical bits; the tests force each one. Not public API.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rtwire/detail/byte_blocks.hpp"
#include "rtwire/detail/cpu.hpp"

#if RTWIRE_X86_DISPATCH
#include <immintrin.h>
#define RTWIRE_BITMAP_TARGET_AVX2 __attribute__((target("avx2")))
#define RTWIRE_BITMAP_TARGET_AVX512 __attribute__((target("avx2,avx512f,avx512bw")))
#endif

namespace rtwire::detail {

/// The number of 64-bit words match_bitmap() writes for n bytes.
constexpr std::size_t bitmap_words(std::size_t n) noexcept {
  return (n + 63) / 64;
}

/// Bits for the whole 64-byte blocks of [p, p + n) with the baseline classifier; answers how
/// many blocks were done. With `High`, `high` is left non-zero when one of those bytes is >= 0x80.
template <bool High, char... Bytes>
inline std::size_t match_blocks_base(const char* p, std::size_t n, std::uint64_t* out,
                                     std::uint64_t& high) noexcept {
  std::size_t b = 0;
  for (; 64 * b + 64 <= n; ++b) {
    std::uint64_t h = 0;
    out[b] = match_block64<Bytes...>(p + 64 * b, High ? &h : nullptr);
    high |= h;
  }
  return b;
}

#if RTWIRE_X86_DISPATCH
template <bool High, char... Bytes>
RTWIRE_BITMAP_TARGET_AVX2 inline std::size_t match_blocks_avx2(const char* p, std::size_t n,
                                                               std::uint64_t* out,
                                                               std::uint64_t& high) noexcept {
  std::size_t b = 0;
  __m256i any = _mm256_setzero_si256();  // the OR of every byte: its top bits say ">= 0x80"
  for (; 64 * b + 64 <= n; ++b) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 64 * b));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 64 * b + 32));
    __m256i hit_lo = _mm256_setzero_si256(), hit_hi = _mm256_setzero_si256();
    ((hit_lo = _mm256_or_si256(hit_lo, _mm256_cmpeq_epi8(lo, _mm256_set1_epi8(Bytes)))), ...);
    ((hit_hi = _mm256_or_si256(hit_hi, _mm256_cmpeq_epi8(hi, _mm256_set1_epi8(Bytes)))), ...);
    out[b] = static_cast<std::uint32_t>(_mm256_movemask_epi8(hit_lo)) |
             std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(hit_hi))} << 32;
    if constexpr (High) any = _mm256_or_si256(any, _mm256_or_si256(lo, hi));
  }
  if constexpr (High) high |= static_cast<std::uint32_t>(_mm256_movemask_epi8(any));
  return b;
}

template <bool High, char... Bytes>
RTWIRE_BITMAP_TARGET_AVX512 inline std::size_t match_blocks_avx512(const char* p, std::size_t n,
                                                                   std::uint64_t* out,
                                                                   std::uint64_t& high) noexcept {
  std::size_t b = 0;
  __m512i any = _mm512_setzero_si512();
  for (; 64 * b + 64 <= n; ++b) {
    const __m512i v = _mm512_loadu_si512(p + 64 * b);
    __mmask64 hit = 0;
    ((hit |= _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(Bytes))), ...);
    out[b] = static_cast<std::uint64_t>(hit);
    if constexpr (High) any = _mm512_or_si512(any, v);
  }
  if constexpr (High) high |= static_cast<std::uint64_t>(_mm512_movepi8_mask(any));
  return b;
}
#endif

/// The whole 64-byte blocks of [p, p + n) on the best path this CPU has; answers how many.
template <bool High, char... Bytes>
[[gnu::always_inline]] inline std::size_t match_blocks(const char* p, std::size_t n,
                                                       std::uint64_t* out,
                                                       std::uint64_t& high) noexcept {
#if RTWIRE_X86_DISPATCH
  const std::uint32_t f = cpu_features();
  if (f & cpu_avx512) return match_blocks_avx512<High, Bytes...>(p, n, out, high);
  if (f & cpu_avx2) return match_blocks_avx2<High, Bytes...>(p, n, out, high);
#endif
  return match_blocks_base<High, Bytes...>(p, n, out, high);
}

/// Writes bitmap_words(n) words to `out`: bit i % 64 of out[i / 64] is set when p[i] is one of
/// `Bytes`; the bits for offsets n and beyond are 0. Reads exactly [p, p + n).
template <char... Bytes>
inline void match_bitmap(const char* p, std::size_t n, std::uint64_t* out) noexcept {
  std::uint64_t unused = 0;
  const std::size_t b = match_blocks<false, Bytes...>(p, n, out, unused);
  const std::size_t base = 64 * b;
  if (base == n) return;
  // The last, partial block: the buffer's last 64 bytes shifted down to `base`, or, in a buffer
  // shorter than a block, byte by byte.
  out[b] = n >= 64 ? match_block64<Bytes...>(p + n - 64, nullptr) >> (64 - (n - base))
                   : match_bytes<Bytes...>(p + base, n - base, nullptr);
}

/// match_bitmap(), and in the same pass: whether any byte of [p, p + n) is >= 0x80 (a text
/// decoder then knows that the lines of the buffer need no UTF-8 work).
template <char... Bytes>
inline bool match_bitmap_any_high(const char* p, std::size_t n, std::uint64_t* out) noexcept {
  std::uint64_t high = 0;
  const std::size_t b = match_blocks<true, Bytes...>(p, n, out, high);
  const std::size_t base = 64 * b;
  if (base == n) return high != 0;
  // The last, partial block as in match_bitmap(), its high bits shifted the same way.
  std::uint64_t h = 0;
  if (n >= 64) {
    const auto drop = static_cast<unsigned>(64 - (n - base));
    out[b] = match_block64<Bytes...>(p + n - 64, &h) >> drop;
    h >>= drop;
  } else {
    out[b] = match_bytes<Bytes...>(p + base, n - base, &h);
  }
  return (high | h) != 0;
}

/// The LF, CR and NUL bits of one 64-byte block, folded into crlf_bitmap()'s running state:
/// `bad` collects a NUL, an LF not right after a CR and a CR not right before an LF; `carry`
/// is the CR in the block's last byte, whose LF is the next block's first.
struct crlf_state {
  std::uint64_t bad = 0, carry = 0;
  [[gnu::always_inline]] inline std::uint64_t step(std::uint64_t lf, std::uint64_t cr,
                                                   std::uint64_t nul) noexcept {
    bad |= nul | (lf ^ ((cr << 1) | carry));
    carry = cr >> 63;
    return lf;
  }
};

/// crlf_bitmap()'s whole 64-byte blocks with the baseline classifier; answers how many.
inline std::size_t crlf_blocks_base(const char* p, std::size_t n, std::uint64_t* out,
                                    crlf_state& s) noexcept {
  crlf_state st = s;  // in registers: the caller's stays in memory
  std::size_t b = 0;
  for (; 64 * b + 64 <= n; ++b) {
    const char* q = p + 64 * b;
    out[b] = st.step(match_block64<'\n'>(q, nullptr), match_block64<'\r'>(q, nullptr),
                     match_block64<'\0'>(q, nullptr));
  }
  s = st;
  return b;
}

#if RTWIRE_X86_DISPATCH
RTWIRE_BITMAP_TARGET_AVX2 inline std::uint64_t avx2_mask64(__m256i lo, __m256i hi,
                                                           char c) noexcept {
  const __m256i v = _mm256_set1_epi8(c);
  return static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, v))) |
         std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, v)))}
             << 32;
}

RTWIRE_BITMAP_TARGET_AVX2 inline std::size_t crlf_blocks_avx2(const char* p, std::size_t n,
                                                              std::uint64_t* out,
                                                              crlf_state& s) noexcept {
  crlf_state st = s;  // in registers: the caller's stays in memory
  std::size_t b = 0;
  for (; 64 * b + 64 <= n; ++b) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 64 * b));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 64 * b + 32));
    out[b] =
        st.step(avx2_mask64(lo, hi, '\n'), avx2_mask64(lo, hi, '\r'), avx2_mask64(lo, hi, '\0'));
  }
  s = st;
  return b;
}

RTWIRE_BITMAP_TARGET_AVX512 inline std::size_t crlf_blocks_avx512(const char* p, std::size_t n,
                                                                  std::uint64_t* out,
                                                                  crlf_state& s) noexcept {
  crlf_state st = s;  // in registers: the caller's stays in memory
  std::size_t b = 0;
  for (; 64 * b + 64 <= n; ++b) {
    const __m512i v = _mm512_loadu_si512(p + 64 * b);
    out[b] = st.step(_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n')),
                     _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\r')),
                     _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\0')));
  }
  s = st;
  return b;
}
#endif

/// Writes the bitmap of the LFs of [p, p + n) to `out` (bitmap_words(n) words, as
/// match_bitmap<'\n'>) and answers whether the text is all CRLF-terminated lines: it ends with
/// an LF, every LF comes right after a CR, every CR right before an LF, and no byte is NUL. Then
/// a line ends one byte before each LF bit, with no other check. Reads exactly [p, p + n).
inline bool crlf_bitmap(const char* p, std::size_t n, std::uint64_t* out) noexcept {
  crlf_state s;
  std::size_t b = 0;
#if RTWIRE_X86_DISPATCH
  const std::uint32_t f = cpu_features();
  if (f & cpu_avx512)
    b = crlf_blocks_avx512(p, n, out, s);
  else if (f & cpu_avx2)
    b = crlf_blocks_avx2(p, n, out, s);
  else
#endif
    b = crlf_blocks_base(p, n, out, s);
  const std::size_t base = 64 * b;
  if (base != n) {
    // The last, partial block, as in match_bitmap().
    const auto tail = [&]<char C>() {
      return n >= 64 ? match_block64<C>(p + n - 64, nullptr) >> (64 - (n - base))
                     : match_bytes<C>(p + base, n - base, nullptr);
    };
    out[b] = s.step(tail.template operator()<'\n'>(), tail.template operator()<'\r'>(),
                    tail.template operator()<'\0'>());
  }
  return (s.bad | s.carry) == 0 && n != 0 && p[n - 1] == '\n';
}

}  // namespace rtwire::detail
