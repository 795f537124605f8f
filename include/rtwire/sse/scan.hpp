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

  /// Forgets the classified window. (The argument, the chunk's start, is not needed any more;
  /// it is accepted so that callers can say which chunk the next searches lie in.)
  void reset(const char* = nullptr) noexcept { win_ = win_end_ = nullptr; }

  /// The first CR or LF in [p, end) and whether a byte >= 0x80 precedes it; {end - p, ...} if
  /// there is none. Successive calls must not move backwards within one chunk, and pass the same
  /// `end`.
  [[gnu::always_inline]] line_scan find(const char* p, const char* end) noexcept {
    if (p >= win_end_ || p < win_) {
      if (p == end) return {0, false};
      load(p, end);
    }
    bool high = high_;
    // The word that holds p: the current one or a later one (searches move forwards). Word
    // indexes only ever step up by one, so the next word's load does not wait for the line's
    // start to be known.
    const auto rel = static_cast<std::size_t>(p - win_);
    if (rel < 64 * w_) [[unlikely]] {
      // A search again from a line start before the current word (the line found last time
      // was not taken: it was too long, or reached the chunk's end).
      w_ = rel / 64;
      bits_ = eol_[w_];
    }
    auto off = rel - 64 * w_;
    while (off >= 64) {
      off -= 64;
      bits_ = eol_[++w_];
    }
    std::uint64_t bits = bits_ & (~std::uint64_t{0} << off);
    while (bits == 0) {
      if (w_ + 1 == words_) {
        if (win_end_ == end) {
          const auto n = static_cast<std::size_t>(end - p);
          return {n, high && rtwire::detail::contains_high(p, n)};
        }
        load(win_end_, end);  // the line goes on into the next window
        high = high || high_;
        bits = bits_;
        continue;
      }
      bits = bits_ = eol_[++w_];
    }
    const auto n = static_cast<std::size_t>(win_ + 64 * w_ + std::countr_zero(bits) - p);
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
    high_ = rtwire::detail::match_bitmap_any_high<'\n', '\r'>(b, n, eol_);
    w_ = 0;
    bits_ = eol_[0];
  }

  std::size_t w_ = 0;          // the current word of the window: eol_[w_]
  std::uint64_t bits_ = 0;     // eol_[w_], kept at hand
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
