// rtwire — line-ending scanner for the SSE codec (internal to rtwire::sse).
//
// SSE lines end at CR or LF. The decoder asks, line after line, "where is the next CR or LF, and
// was any byte before it >= 0x80 (so UTF-8 decoding is needed)?". Answering each question with
// its own vector loop costs a loop start-up per line, and typical lines are short (`id: 1f-42`).
// eol_scanner instead classifies 64 bytes at a time into two bit masks (line endings, non-ASCII
// bytes), once, and answers every line inside that block with a count-trailing-zeros.
// The block classification is rtwire/detail/byte_blocks.hpp (SSE2 on x86-64, portable elsewhere).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "rtwire/detail/byte_blocks.hpp"

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
  if (n == 64) {
    // The decoder does real work between blocks, so the hardware prefetcher alone lets the next
    // lines arrive late; ask for them well ahead (a hint: never faults, even past the chunk).
    __builtin_prefetch(p + 2048);
    eol = rtwire::detail::match_block64<'\n', '\r'>(p, &high);
    return;
  }
  eol = rtwire::detail::match_bytes<'\n', '\r'>(p, n, &high);
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
  return rtwire::detail::find_first_of<'\n', '\r'>(p, n);
}

}  // namespace rtwire::sse::detail
