// rtwire — line-ending scanner for the SSE codec (internal to rtwire::sse).
//
// SSE lines end at CR or LF. The decoder asks, line after line, "where is the next CR or LF, and
// was any byte before it >= 0x80 (so UTF-8 decoding is needed)?". Answering each question with
// its own vector loop costs a loop start-up per line, and typical lines are short (`id: 1f-42`).
// eol_scanner instead classifies 64 bytes at a time into two bit masks (line endings, non-ASCII
// bytes), once, and answers every line inside that block with a count-trailing-zeros.
// x86-64 uses SSE2 (always present); other targets use a portable loop with identical results.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define RTWIRE_SSE_SCAN_SSE2 1
#else
#define RTWIRE_SSE_SCAN_SSE2 0
#endif

namespace rtwire::sse::detail {

/// Where a line ends: the offset of the first CR or LF from the start of the search (the length
/// searched if none), and whether a byte >= 0x80 precedes it.
struct line_scan {
  std::size_t end;
  bool non_ascii;
};

inline unsigned count_trailing_zeros(std::uint64_t v) noexcept {
  return static_cast<unsigned>(std::countr_zero(v));
}

/// Classifies [p, p + n), n <= 64: bit i of `eol` is set when p[i] is CR or LF, bit i of `high`
/// when p[i] >= 0x80.
inline void classify_block(const char* p, std::size_t n, std::uint64_t& eol,
                           std::uint64_t& high) noexcept {
#if RTWIRE_SSE_SCAN_SSE2
  if (n == 64) {
    // The decoder does real work between blocks, so the hardware prefetcher alone lets the next
    // lines arrive late; ask for them well ahead (a hint: never faults, even past the chunk).
    __builtin_prefetch(p + 2048);
    const __m128i lf = _mm_set1_epi8('\n');
    const __m128i cr = _mm_set1_epi8('\r');
    std::uint64_t e = 0, h = 0;
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      const auto em = static_cast<std::uint32_t>(
          _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr))));
      const auto hm = static_cast<std::uint32_t>(_mm_movemask_epi8(v));
      e |= std::uint64_t{em} << (16 * k);
      h |= std::uint64_t{hm} << (16 * k);
    }
    eol = e;
    high = h;
    return;
  }
#endif
  std::uint64_t e = 0, h = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c == '\n' || c == '\r') e |= std::uint64_t{1} << i;
    if (c >= 0x80) h |= std::uint64_t{1} << i;
  }
  eol = e;
  high = h;
}

/// Finds line endings in a chunk, classifying each 64-byte block once (see the file comment).
/// Call reset() whenever the chunk changes (its memory may be reused for other bytes).
class eol_scanner {
 public:
  void reset() noexcept {
    base_ = nullptr;
    valid_ = 0;
  }

  /// The first CR or LF in [p, end) and whether a byte >= 0x80 precedes it; {end - p, ...} if
  /// there is none. Successive calls must not move backwards within one chunk.
  line_scan find(const char* p, const char* end) noexcept {
    const char* const start = p;
    bool high = false;
    for (;;) {
      if (p == end) return {static_cast<std::size_t>(end - start), high};
      if (base_ == nullptr || p < base_ || p >= base_ + valid_) {
        const auto left = static_cast<std::size_t>(end - p);
        base_ = p;
        valid_ = left < 64 ? left : 64;
        classify_block(p, valid_, eol_, high_);
      }
      const auto off = static_cast<unsigned>(p - base_);
      const std::uint64_t e = eol_ >> off;
      const std::uint64_t h = high_ >> off;
      if (e != 0) {
        const unsigned at = count_trailing_zeros(e);
        const std::uint64_t before = at == 0 ? 0 : (h & (~std::uint64_t{0} >> (64 - at)));
        return {static_cast<std::size_t>(p - start) + at, high || before != 0};
      }
      high = high || h != 0;
      p = base_ + valid_;
    }
  }

 private:
  const char* base_ = nullptr;  // the classified block is [base_, base_ + valid_)
  std::size_t valid_ = 0;
  std::uint64_t eol_ = 0;
  std::uint64_t high_ = 0;
};

/// Offset of the first CR or LF in [p, p + n), or n if none (one-shot, for the encoder).
inline std::size_t find_eol(const char* p, std::size_t n) noexcept {
  std::size_t i = 0;
#if RTWIRE_SSE_SCAN_SSE2
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const auto m = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr))));
    if (m != 0) return i + static_cast<unsigned>(std::countr_zero(m));
  }
#endif
  for (; i < n; ++i) {
    if (p[i] == '\n' || p[i] == '\r') return i;
  }
  return n;
}

}  // namespace rtwire::sse::detail
