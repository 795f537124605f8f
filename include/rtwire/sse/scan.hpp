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
/// The block's masks are kept whole; a search from p ignores the bits before p, so successive
/// lines of one block cost a shift, an AND and a count-trailing-zeros each.
/// Call reset() whenever the chunk changes (its memory may be reused for other bytes).
class eol_scanner {
 public:
  /// Forgets the classified block. `chunk` (when given) is the start of the chunk that later
  /// searches lie in: a search near the chunk's end then classifies the chunk's last 64 bytes
  /// (the bytes before the search start are ignored) instead of a short tail byte by byte.
  void reset(const char* chunk = nullptr) noexcept {
    chunk_ = chunk;
    base_ = block_end_ = nullptr;
    eol_ = high_ = 0;
  }

  /// The first CR or LF in [p, end) and whether a byte >= 0x80 precedes it; {end - p, ...} if
  /// there is none. Successive calls must not move backwards within one chunk, and pass the same
  /// `end`.
  line_scan find(const char* p, const char* end) noexcept {
    if (p >= block_end_ || p < base_) {
      if (p == end) return {0, false};
      load(p, end);
    }
    std::uint64_t keep = ~std::uint64_t{0} << static_cast<unsigned>(p - base_);
    std::uint64_t e = eol_ & keep;
    std::uint64_t h = high_ & keep;
    std::uint64_t seen = 0;  // non-ASCII bytes of the line in the blocks before this one
    while (e == 0) {
      seen |= h;
      if (end - block_end_ >= 64) {
        // The line goes on into the next full block (the usual case for a long line).
        base_ = block_end_;
        block_end_ = base_ + 64;
        classify_block(base_, 64, eol_, high_);
        e = eol_;
        h = high_;
        continue;
      }
      if (block_end_ == end) return {static_cast<std::size_t>(end - p), seen != 0};
      load(block_end_, end);
      // The chunk's last block may start before p: its bits there belong to earlier lines.
      keep = p > base_ ? ~std::uint64_t{0} << static_cast<unsigned>(p - base_) : ~std::uint64_t{0};
      e = eol_ & keep;
      h = high_ & keep;
    }
    const unsigned at = count_trailing_zeros(e);
    // e ^ (e - 1): the bits up to the line ending (whose own high bit is clear).
    const bool high = (seen | (h & (e ^ (e - 1)))) != 0;
    return {static_cast<std::size_t>(base_ + at - p), high};
  }

 private:
  // Classifies the block that starts at b (or, near the chunk's end, the chunk's last 64 bytes).
  void load(const char* b, const char* end) noexcept {
    const auto left = static_cast<std::size_t>(end - b);
    std::size_t n = 64;
    if (left >= 64) {
      base_ = b;
    } else if (chunk_ != nullptr && end - chunk_ >= 64) {
      base_ = end - 64;  // a full block ending at the chunk's end; b lies in it
    } else {
      base_ = b;
      n = left;
    }
    block_end_ = base_ + n;
    classify_block(base_, n, eol_, high_);
  }

  const char* chunk_ = nullptr;      // start of the chunk searched, when known (see reset())
  const char* base_ = nullptr;       // the classified block is [base_, block_end_)
  const char* block_end_ = nullptr;  // (at most 64 bytes)
  std::uint64_t eol_ = 0;
  std::uint64_t high_ = 0;
};

/// Offset of the first CR or LF in [p, p + n), or n if none (one-shot, for the encoder).
inline std::size_t find_eol(const char* p, std::size_t n) noexcept {
  return rtwire::detail::find_first_of<'\n', '\r'>(p, n);
}

}  // namespace rtwire::sse::detail
