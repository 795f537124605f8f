// rtwire — SDP internals: what the session parser's line loop (rtwire/sdp/detail/
// session_parser.hpp) cuts a line with: the line-end finder over a bitmap of the text's special
// bytes, and the scans of an a= line's attribute name. Not public API.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "rtwire/detail/byte_bitmap.hpp"
#include "rtwire/sdp/detail/text.hpp"

namespace rtwire::sdp::detail {

/// The number of words special_map needs for a text of n bytes: the bitmap and 4 zero words,
/// which the scan may read past the end.
constexpr std::size_t special_map_words(std::size_t n) noexcept {
  return rtwire::detail::bitmap_words(n) + 4;
}

/// What both line-end finders below share: the bits of the current 64-bit bitmap word not yet
/// consumed, and the next word, which moves in with a select when the current one is used up.
class bitmap_cursor {
 protected:
  /// Over the bitmap of a text of n bytes in `words` (special_map_words(n) of them, the bitmap
  /// already written): zeroes the 4 words past it, which the scan may read.
  bitmap_cursor(std::size_t n, std::uint64_t* words) noexcept : words_(words) {
    const std::size_t used = rtwire::detail::bitmap_words(n);
    words[used] = words[used + 1] = words[used + 2] = words[used + 3] = 0;
    cur_ = words[0];
    next_ = words[1];
  }

  /// The next word moves in (the current one has no bit left).
  [[gnu::always_inline]] inline void next_word() noexcept {
    cur_ = next_;
    next_ = words_[w_ + 2];
    ++w_;
  }

  /// Consumes the lowest bit; when the current word is used up, the next one moves in: a
  /// select, not a branch. It never reads past the 4 zero words: w_ moves at most twice per
  /// line, and no line starts past n.
  [[gnu::always_inline]] inline void consume_bit() noexcept {
    cur_ &= cur_ - 1;
    const bool empty = cur_ == 0;
    cur_ = empty ? next_ : cur_;
    next_ = empty ? words_[w_ + 2] : next_;
    w_ += empty;
  }

  const std::uint64_t* words_;
  std::size_t w_ = 0;
  std::uint64_t cur_, next_;
};

/// Finds the '\n', '\r' and NUL of a text in order, one line at a time. One pass over the whole
/// text (rtwire/detail/byte_bitmap.hpp: 64 bytes per SIMD step) marks both the line ends and the
/// characters RFC 8866 §9 forbids inside a line (byte-string excludes NUL, CR and LF) in a
/// bitmap. The map holds the bits of the current 64-bit word not yet consumed and the next word:
/// a line costs a count-trailing-zeros to find its end and a clear-lowest-bit per byte of the end
/// to consume it, and the next word moves in without a branch (a select), so no branch depends
/// on where the 64-byte blocks end, and the chain from one line to the next is a few cycles.
class special_map : bitmap_cursor {
 public:
  static constexpr bool all_crlf = false;

  /// Builds the bitmap of [p, p + n) in `words` (special_map_words(n) of them).
  special_map(const char* p, std::size_t n, std::uint64_t* words) noexcept
      : bitmap_cursor(n, mapped(p, n, words)), n_(n) {}

  /// The offset of the first special byte not yet consumed, or n when there is none.
  [[gnu::always_inline]] inline std::size_t find() noexcept {
    while (cur_ == 0)
      [[unlikely]] {
        // A line longer than the rest of this word and all of the next.
        if (64 * (w_ + 1) >= n_) return n_;
        next_word();
      }
    return 64 * w_ + static_cast<std::size_t>(std::countr_zero(cur_));
  }

  /// Consumes the special byte find() answered and, with `crlf`, the LF after it.
  [[gnu::always_inline]] inline void consume(bool crlf) noexcept {
    consume_bit();
    if (crlf) consume_bit();
  }

 private:
  static std::uint64_t* mapped(const char* p, std::size_t n, std::uint64_t* words) noexcept {
    rtwire::detail::match_bitmap<'\n', '\r', '\0'>(p, n, words);
    return words;
  }

  std::size_t n_;
};

/// The line ends of a text that is all CRLF-terminated lines (rtwire::detail::crlf_bitmap()
/// answered true): the bitmap holds the LFs only, so a line costs one count-trailing-zeros to
/// find its end (the CR before the LF) and one clear-lowest-bit to consume it, and needs no
/// check of the bytes at the end. The next word moves in as in special_map, with a select.
class crlf_map : bitmap_cursor {
 public:
  static constexpr bool all_crlf = true;

  /// Built over the bitmap crlf_bitmap() wrote in `words` (special_map_words(n) of them).
  crlf_map(std::size_t n, std::uint64_t* words) noexcept : bitmap_cursor(n, words) {}

  /// The offset of the CR of the next line end. Every line has one: no bound is needed.
  [[gnu::always_inline]] inline std::size_t find() noexcept {
    while (cur_ == 0)
      [[unlikely]] next_word();
    return 64 * w_ + static_cast<std::size_t>(std::countr_zero(cur_)) - 1;
  }

  /// Consumes the line end find() answered.
  [[gnu::always_inline]] inline void consume() noexcept { consume_bit(); }
};

/// The length of the run of token-chars at the start of [p, p + size), where [p, end) is
/// readable and, when p + size < end, p[size] is not a token-char (a line end, or the space or
/// tab that lenient mode trimmed): an attribute name ends there. That byte stops the loop, so
/// the loop needs no bound but in a final line without a line end.
inline std::size_t token_run(const char* p, std::size_t size, const char* end) noexcept {
  std::size_t k = 0;
  if (p + size < end) {
    while (is(p[k], cc_token))
      ++k;
    return k;
  }
  while (k < size && is(p[k], cc_token))
    ++k;
  return k;
}

/// The length of the run of ASCII letters, digits and '-' at the start of [p, p + 16) (16 when
/// all are): the bytes of nearly every attribute name, all token-chars. One 16-byte
/// classification, the same cost for every name, so no branch depends on which name it is.
/// [p, p + 16) must be readable.
inline std::size_t name_run16(const char* p) noexcept {
#if RTWIRE_BYTE_BLOCKS_SSE2
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // Unsigned range checks as signed compares: c - lo + 0x80 < 0x80 + count - 0x100.
  const auto in_range = [](__m128i x, char lo, int count) {
    const __m128i shifted = _mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(0x80 - lo)));
    return _mm_cmplt_epi8(shifted, _mm_set1_epi8(static_cast<char>(-128 + count)));
  };
  // c | 0x20 folds the capitals onto the small letters and no other byte into 'a'..'z'.
  const __m128i letter = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 26);
  const __m128i digit = in_range(v, '0', 10);
  const __m128i dash = _mm_cmpeq_epi8(v, _mm_set1_epi8('-'));
  const auto ok = static_cast<std::uint32_t>(
      _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letter, digit), dash)));
  return static_cast<std::size_t>(std::countr_zero(~ok));
#else
  std::size_t k = 0;
  while (k < 16 && (is(p[k], cc_alpha) || (p[k] >= '0' && p[k] <= '9') || p[k] == '-'))
    ++k;
  return k;
#endif
}

/// The `sizeof(Word)` bytes at p as an integer, laid out as in memory.
template <class Word>
inline Word load_word(const char* p) noexcept {
  Word w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

/// The first `n` bytes of `s` as load_word() reads them from memory (the other bytes zero).
template <class Word, std::size_t N>
constexpr Word word_of(const char (&s)[N], std::size_t n = N - 1) noexcept {
  Word w = 0;
  for (std::size_t i = 0; i < n && i < sizeof(Word); ++i) {
    const std::size_t byte = std::endian::native == std::endian::little ? i : sizeof(Word) - 1 - i;
    w |= static_cast<Word>(static_cast<Word>(static_cast<unsigned char>(s[i])) << (8 * byte));
  }
  return w;
}

}  // namespace rtwire::sdp::detail
