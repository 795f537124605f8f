// rtwire — the WHATWG Encoding Standard's UTF-8 decoder with replacement, for complete lines of
// an event stream (internal to rtwire::sse).
//
// WHATWG Encoding §4.1 "UTF-8 decoder": a byte outside the range the current sequence allows ends
// that sequence with one U+FFFD and is then processed again on its own; a sequence cut short by
// the end of the input yields one U+FFFD. So every maximal invalid subpart becomes exactly one
// U+FFFD (the "maximal subpart" practice of Unicode §3.9).
//
// Why decoding a line on its own equals decoding the whole stream: line endings (CR, LF) and the
// field colon are ASCII, and an ASCII byte can never continue a sequence; at such a byte the
// stream decoder has just ended any pending sequence with U+FFFD, exactly as the end of the line
// does here. Hence a sequence split across chunks or lines gives the same output either way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace rtwire::sse::detail {

/// The bounds the next continuation byte must lie in after `lead`, and how many continuation
/// bytes follow it (0 for a byte that cannot start a sequence). WHATWG Encoding §4.1 step 4.
struct utf8_lead {
  std::uint8_t needed;
  std::uint8_t lower;
  std::uint8_t upper;
};

constexpr utf8_lead classify_lead(std::uint8_t b) noexcept {
  if (b >= 0xC2 && b <= 0xDF) return {1, 0x80, 0xBF};
  if (b == 0xE0) return {2, 0xA0, 0xBF};  // no overlong 3-byte forms
  if (b == 0xED) return {2, 0x80, 0x9F};  // no surrogates
  if (b >= 0xE1 && b <= 0xEF) return {2, 0x80, 0xBF};
  if (b == 0xF0) return {3, 0x90, 0xBF};  // no overlong 4-byte forms
  if (b == 0xF4) return {3, 0x80, 0x8F};  // nothing above U+10FFFF
  if (b >= 0xF1 && b <= 0xF3) return {3, 0x80, 0xBF};
  return {0, 0, 0};  // 0x80-0xC1, 0xF5-0xFF: never a lead byte
}

/// Length of the valid sequence starting at s[i] (a non-ASCII byte), or 0 if it is invalid or
/// truncated; in that case `*subpart` receives the length of the maximal invalid subpart (>= 1).
inline std::size_t utf8_sequence(const unsigned char* s, std::size_t i, std::size_t n,
                                 std::size_t* subpart) noexcept {
  const utf8_lead lead = classify_lead(s[i]);
  if (lead.needed == 0) {
    *subpart = 1;
    return 0;
  }
  std::uint8_t lower = lead.lower, upper = lead.upper;
  std::size_t k = 1;
  for (; k <= lead.needed; ++k) {
    if (i + k >= n || s[i + k] < lower || s[i + k] > upper) {
      *subpart = k;  // the lead and the continuation bytes accepted so far
      return 0;
    }
    lower = 0x80;
    upper = 0xBF;
  }
  return k;
}

/// Offset of the first byte of `text` that is not part of a valid UTF-8 sequence, or npos if
/// all of `text` is valid UTF-8.
inline std::size_t first_invalid_utf8(std::string_view text) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    std::size_t subpart = 0;
    const std::size_t len = utf8_sequence(s, i, n, &subpart);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

/// Decodes `text` as the WHATWG UTF-8 decoder does (end of input = end of stream) and returns the
/// result as UTF-8: `text` itself when it is valid (no copy), otherwise `scratch` (cleared, then
/// filled) with each maximal invalid subpart replaced by U+FFFD (EF BF BD). The view is valid
/// until `text`'s storage or `scratch` changes.
inline std::string_view decode_utf8(std::string_view text, std::string& scratch) {
  std::size_t bad = first_invalid_utf8(text);
  if (bad == std::string_view::npos) return text;
  static constexpr std::string_view replacement = "\xEF\xBF\xBD";
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  scratch.clear();
  std::size_t copied = 0;  // text[copied, bad) is valid and not yet appended
  while (bad != std::string_view::npos) {
    scratch.append(text.data() + copied, bad - copied);
    std::size_t subpart = 0;
    utf8_sequence(s, bad, n, &subpart);
    scratch.append(replacement);
    copied = bad + subpart;
    const std::size_t next = first_invalid_utf8(text.substr(copied));
    bad = next == std::string_view::npos ? next : copied + next;
  }
  scratch.append(text.data() + copied, n - copied);
  return scratch;
}

}  // namespace rtwire::sse::detail
