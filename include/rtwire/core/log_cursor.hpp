// rtwire — the message log's cursor: a position (epoch + offset) with exactly one text form,
// `<epoch hex>-<offset decimal>`, used as the SSE event id and the long-poll cursor.
//
//   char text[rtwire::log::max_cursor_chars];
//   const std::size_t n = rtwire::log::format_cursor({0x1f, 42}, text);  // "1f-42"
//   auto c = rtwire::log::parse_cursor(std::string_view(text, n));       // {0x1f, 42}
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "rtwire/core/bytes.hpp"

namespace rtwire::log {

/// A position in a log: the last message a reader has seen. `offset` 0 means "none yet".
struct cursor {
  std::uint64_t epoch = 0;
  std::uint64_t offset = 0;
  friend constexpr bool operator==(const cursor&, const cursor&) = default;
};

/// The longest cursor text: 16 hex digits, '-', 20 decimal digits.
inline constexpr std::size_t max_cursor_chars = 16 + 1 + 20;

/// Writes the one text form of `c`, `<epoch>-<offset>`: the epoch in lowercase hexadecimal and
/// the offset in decimal, both without leading zeros ("0" for zero). E.g. {0x1f, 42} -> "1f-42".
/// Returns the number of characters written (at most max_cursor_chars). The text contains only
/// [0-9a-f-], so it is a valid SSE `id` and a valid URL query value.
constexpr std::size_t format_cursor(cursor c, std::span<char, max_cursor_chars> out) noexcept {
  constexpr char hex[] = "0123456789abcdef";
  char tmp[20];
  std::size_t n = 0, len = 0;
  std::uint64_t e = c.epoch;
  do {
    tmp[n++] = hex[e & 0xf];
    e >>= 4;
  } while (e != 0);
  while (n != 0)
    out[len++] = tmp[--n];
  out[len++] = '-';
  std::uint64_t o = c.offset;
  do {
    tmp[n++] = static_cast<char>('0' + o % 10);
    o /= 10;
  } while (o != 0);
  while (n != 0)
    out[len++] = tmp[--n];
  return len;
}

/// Appends the text form of `c` (see format_cursor()) to `out`.
template <output_buffer B>
void append_cursor(B& out, cursor c) {
  std::array<char, max_cursor_chars> text{};
  const std::size_t n = format_cursor(c, text);
  rtwire::detail::append(out, std::string_view(text.data(), n));
}

/// The text form of `c` as a std::string (allocates; prefer append_cursor() on hot paths).
inline std::string to_string(cursor c) {
  std::string s;
  append_cursor(s, c);
  return s;
}

/// Parses the one text form written by format_cursor(). Accepts exactly: 1-16 lowercase hex
/// digits, '-', 1-20 decimal digits with a value below 2^64; no leading zeros (except the single
/// digit "0"), no sign, no whitespace, no uppercase. Anything else returns nullopt (which
/// message_log::resume() reports as error::malformed_cursor). Strictness is deliberate: one
/// cursor has one spelling, so cursors compare as strings and cannot be smuggled in two forms.
[[nodiscard]] constexpr std::optional<cursor> parse_cursor(std::string_view text) noexcept {
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 16) return std::nullopt;
  const std::string_view hex = text.substr(0, dash), dec = text.substr(dash + 1);
  if (dec.empty() || dec.size() > 20) return std::nullopt;
  if ((hex.size() > 1 && hex[0] == '0') || (dec.size() > 1 && dec[0] == '0')) return std::nullopt;
  cursor c;
  for (const char ch : hex) {
    unsigned d;
    if (ch >= '0' && ch <= '9') {
      d = static_cast<unsigned>(ch - '0');
    } else if (ch >= 'a' && ch <= 'f') {
      d = static_cast<unsigned>(ch - 'a' + 10);
    } else {
      return std::nullopt;
    }
    c.epoch = (c.epoch << 4) | d;  // at most 16 digits: cannot overflow
  }
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  for (const char ch : dec) {
    if (ch < '0' || ch > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(ch - '0');
    if (c.offset > (max - d) / 10) return std::nullopt;  // does not fit in 64 bits
    c.offset = c.offset * 10 + d;
  }
  return c;
}

}  // namespace rtwire::log
