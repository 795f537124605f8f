// rtwire — SDP internals: character classes, number and field scanning. Not public API.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "rtwire/core/ascii.hpp"

namespace rtwire::sdp::detail {

/// Character classes as bit flags in one 256-entry table.
enum char_class : std::uint8_t {
  cc_digit = 1,   // DIGIT
  cc_alpha = 2,   // ALPHA
  cc_token = 4,   // RFC 8866 §9 token-char
  cc_ice = 8,     // RFC 8839 §5.1 ice-char: ALPHA / DIGIT / "+" / "/"
  cc_vchar = 16,  // RFC 5234 VCHAR: %x21-7E
  cc_host = 32,   // characters of an FQDN label or an IP literal (ALPHA DIGIT - . : % _)
  cc_nonws = 64,  // RFC 8866 §9 non-ws-string characters: VCHAR / %x80-FF
};

inline constexpr std::array<std::uint8_t, 256> char_table = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t f = 0;
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (digit) f |= cc_digit;
    if (alpha) f |= cc_alpha;
    // RFC 8866 §9: token-char = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+"
    //                           / "-" / "." / "^" / "_" / "`" / "{" / "|" / "}" / "~"
    if (digit || alpha ||
        std::string_view("!#$%&'*+-.^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos)
      f |= cc_token;
    if (digit || alpha || c == '+' || c == '/') f |= cc_ice;
    if (c >= 0x21 && c <= 0x7e) f |= cc_vchar;
    if ((c >= 0x21 && c <= 0x7e) || c >= 0x80) f |= cc_nonws;
    if (digit || alpha || c == '-' || c == '.' || c == ':' || c == '%' || c == '_') f |= cc_host;
    t[static_cast<std::size_t>(c)] = f;
  }
  return t;
}();

inline bool is(char c, std::uint8_t cls) noexcept {
  return (char_table[static_cast<unsigned char>(c)] & cls) != 0;
}

/// True when `s` is non-empty and every character belongs to `cls`.
inline bool all_of(std::string_view s, std::uint8_t cls) noexcept {
  if (s.empty()) return false;
  for (const char c : s)
    if (!is(c, cls)) return false;
  return true;
}

inline bool is_token(std::string_view s) noexcept {
  return all_of(s, cc_token);
}
inline bool is_digits(std::string_view s) noexcept {
  return all_of(s, cc_digit);
}
inline bool is_non_ws_string(std::string_view s) noexcept {
  return all_of(s, cc_nonws);
}

/// Parses 1 to `max_digits` decimal digits (the whole of `s`) into `out`. With max_digits <= 19
/// the value cannot overflow 64 bits, so no value is ever wrapped.
inline bool parse_uint(std::string_view s, std::uint64_t& out, std::size_t max_digits) noexcept {
  if (s.empty() || s.size() > max_digits) return false;
  std::uint64_t v = 0;
  for (const char c : s) {
    const auto d = static_cast<unsigned>(static_cast<unsigned char>(c) - '0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

/// `s` without its first `pos` bytes; pos <= s.size() is the caller's guarantee. (Unlike
/// std::string_view::substr, no range check and no exception path: GCC does not inline substr in
/// large functions, and the call's returned pair then costs a store-forwarding stall per line.)
inline std::string_view drop(std::string_view s, std::size_t pos) noexcept {
  return {s.data() + pos, s.size() - pos};
}

/// The first `n` bytes of `s` (n <= s.size(), or npos for all of it).
inline std::string_view take(std::string_view s, std::size_t n) noexcept {
  return {s.data(), n < s.size() ? n : s.size()};
}

/// Reads the fields of a line separated by single spaces. Every space separates two fields, so
/// "a  b" yields "a", "", "b" and "a b " yields "a", "b", "": callers reject empty fields where
/// the grammar has none, instead of silently accepting doubled or trailing spaces.
struct field_reader {
  std::string_view rest;
  bool done = false;

  // Always inlined: as a call, its string_view out-parameter forces the caller's fields into
  // memory.
  /// Takes the next field; false when every field has been taken.
  [[gnu::always_inline]] inline bool next(std::string_view& field) noexcept {
    if (done) return false;
    // A plain loop, not memchr: fields are a few bytes long, shorter than a library call.
    std::size_t n = 0;
    while (n < rest.size() && rest[n] != ' ')
      ++n;
    field = take(rest, n);
    if (n == rest.size()) {
      rest = {};
      done = true;
      return true;
    }
    rest = drop(rest, n + 1);
    return true;
  }

  /// Takes the next field and requires it to be non-empty.
  [[gnu::always_inline]] inline bool next_nonempty(std::string_view& field) noexcept {
    return next(field) && !field.empty();
  }

  /// The unread text (everything after the last separator taken).
  std::string_view remainder() const noexcept { return rest; }
};

/// Strips trailing spaces and horizontal tabs.
inline std::string_view trim_right(std::string_view s) noexcept {
  std::size_t n = s.size();
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    --n;
  return take(s, n);
}

/// Strips leading spaces and horizontal tabs.
inline std::string_view trim_left(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
  return drop(s, i);
}

/// `s == lit` for a string literal, inlined (a library memcmp call costs more than the compare).
template <std::size_t N>
inline bool equals(std::string_view s, const char (&lit)[N]) noexcept {
  if (s.size() != N - 1) return false;
  for (std::size_t i = 0; i + 1 < N; ++i)
    if (s[i] != lit[i]) return false;
  return true;
}

/// `s.starts_with(lit)` for a string literal, inlined.
template <std::size_t N>
inline bool starts_with(std::string_view s, const char (&lit)[N]) noexcept {
  return s.size() >= N - 1 && equals(take(s, N - 1), lit);
}

using ascii::iequals;  // the one ASCII case-insensitive comparison (rtwire/core/ascii.hpp)

/// Appends the decimal form of `v` to a caller's buffer through `append(std::string_view)`.
template <class Append>
inline void append_uint(Append&& append, std::uint64_t v) {
  char buf[20];
  std::size_t i = sizeof buf;
  do {
    buf[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  append(std::string_view(buf + i, sizeof buf - i));
}

}  // namespace rtwire::sdp::detail
