// rtwire — line-ending scanner for the SSE codec (internal to rtwire::sse).
//
// SSE lines end at CR or LF. The decoder asks, line after line, "where is the next CR or LF, and
// was any byte before it >= 0x80 (so UTF-8 decoding is needed)?". Answering each question with
// its own vector loop costs a loop start-up per line, and typical lines are short (`id: 1f-42`).
// eol_scanner instead classifies the chunk a window of 512 bytes at a time into a bitmap of its
// line endings (rtwire/detail/byte_bitmap.hpp: one pass, AVX-512 or AVX2 where the CPU has them,
// SSE2 otherwise) that also says whether the window holds any byte >= 0x80, and answers every line
// inside it with a shift and a count-trailing-zeros. Text that is ASCII, the usual case, then
// needs no per-line check for UTF-8 at all; a line in a window with a non-ASCII byte is checked
// on its own.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "rtwire/detail/byte_bitmap.hpp"
#include "rtwire/detail/byte_blocks.hpp"

namespace rtwire::sse::detail {

/// Where a line ends: the offset of the first CR or LF from the start of the search (the length
/// searched if none), and whether a byte >= 0x80 precedes it.
struct line_scan {
  std::size_t end;
  bool non_ascii;
};

/// Finds line endings in a chunk, classifying each window of it once (see the file comment).
/// Windows follow one another from where the first search after reset() starts.
/// Call reset() whenever the chunk changes (its memory may be reused for other bytes).
class eol_scanner {
 public:
  /// Bytes classified at once: large enough that the classification runs as one tight loop,
  /// small enough that a short chunk or an early stop wastes little.
  static constexpr std::size_t window_bytes = 512;

  /// Forgets the classified window (the chunk changed).
  void reset() noexcept { win_ = win_end_ = nullptr; }

  /// The first CR or LF in [p, end) and whether a byte >= 0x80 precedes it; {end - p, ...} if
  /// there is none. Successive calls must not move backwards within one chunk, and pass the same
  /// `end`.
  [[gnu::always_inline]] line_scan find(const char* p, const char* end) noexcept {
    if (p >= win_end_ || p < win_) {
      if (p == end) return {0, false};
      load(p, end);
    }
    bool high = high_;
    // The word that holds p: the current one or a later one (searches move forwards). The word
    // index lives in a register here and is stored once at the end.
    std::size_t w = w_;
    const auto rel = static_cast<std::size_t>(p - win_);
    if (rel < 64 * w) [[unlikely]]
      w = rel / 64;  // a search again from an earlier line start (its line was not taken)
    std::size_t off = rel - 64 * w;
    if (off >= 64) {
      w += off / 64;
      off %= 64;
    }
    std::uint64_t bits = eol_[w] & (~std::uint64_t{0} << off);
    while (bits == 0) {
      if (w + 1 == words_) {
        if (win_end_ == end) {
          w_ = w;
          const auto n = static_cast<std::size_t>(end - p);
          return {n, high && rtwire::detail::contains_high(p, n)};
        }
        load(win_end_, end);  // the line goes on into the next window
        high = high || high_;
        w = 0;
        bits = eol_[0];
        continue;
      }
      bits = eol_[++w];
    }
    w_ = w;
    const auto n = static_cast<std::size_t>(win_ + 64 * w + std::countr_zero(bits) - p);
    return {n, high && rtwire::detail::contains_high(p, n)};
  }

 private:
  // Once per window: out of line, so that find() stays small where it is inlined.
  [[gnu::noinline]] void load(const char* b, const char* end) noexcept {
    const auto left = static_cast<std::size_t>(end - b);
    const std::size_t n = left < window_bytes ? left : window_bytes;
    win_ = b;
    win_end_ = b + n;
    words_ = rtwire::detail::bitmap_words(n);
    w_ = 0;
    high_ = rtwire::detail::match_bitmap_any_high<'\n', '\r'>(b, n, eol_);
  }

  std::size_t w_ = 0;          // the word of the window where the last search ended
  const char* win_ = nullptr;  // the classified window is [win_, win_end_)
  const char* win_end_ = nullptr;
  std::size_t words_ = 0;  // bitmap_words(win_end_ - win_)
  bool high_ = false;      // a byte of the window is >= 0x80
  std::uint64_t eol_[window_bytes / 64] = {};
};

/// Offset of the first CR or LF in [p, p + n), or n if none (one-shot, for the encoder).
inline std::size_t find_eol(const char* p, std::size_t n) noexcept {
  return rtwire::detail::find_first_of<'\n', '\r'>(p, n);
}

}  // namespace rtwire::sse::detail
