// rtwire — the HTTP/1.1 grammar rtwire reads and writes heads with (RFC 9110 §5, §5.6): tokens,
// field values, OWS and comma-separated lists. Public: applications that look into fields use
// the same rules as the parser (list_has_token(), for_each_list_element()).
//
//   bool token = rtwire::http1::is_token("Sec-WebSocket-Key");                     // true
//   bool upgrade = rtwire::http1::list_has_token("keep-alive, Upgrade", "upgrade");  // true
#pragma once

#include <array>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "rtwire/core/ascii.hpp"

namespace rtwire::http1 {

// ---------------------------------------------------------------------------------------------
// Character classes (RFC 9110 §5.6.2 tokens, §5.5 field values)
// ---------------------------------------------------------------------------------------------

namespace detail {

enum char_class : std::uint8_t {
  /// tchar (RFC 9110 §5.6.2).
  cc_tchar = 1u << 0,
  /// field-vchar / SP / HTAB: VCHAR, obs-text, SP, HTAB (RFC 9110 §5.5); also valid in a
  /// reason-phrase (RFC 9112 §4).
  cc_field = 1u << 1,
  /// A byte allowed in a request-target: VCHAR (RFC 3986 §2 is ASCII-only; RFC 9112 §3.2).
  cc_target = 1u << 2,
};

inline constexpr std::array<std::uint8_t, 256> char_classes = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t v = 0;
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (alnum ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos)
      v |= cc_tchar;
    if (c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f)) v |= cc_field;
    if (c >= 0x21 && c <= 0x7e) v |= cc_target;
    t[static_cast<std::size_t>(c)] = v;
  }
  return t;
}();

#if defined(__SSE2__)
/// Skips whole 16-byte blocks of s[from, size) whose bytes are all field-value bytes
/// (cc_field) or request-target bytes (cc_target); returns where the scalar check must resume.
/// SSE2 is part of x86-64, so this needs no runtime dispatch.
template <std::uint8_t cls>
inline std::size_t skip_valid_blocks(std::string_view s, std::size_t from) noexcept {
  static_assert(cls == cc_field || cls == cc_target);
  const __m128i ctl_max = _mm_set1_epi8(cls == cc_field ? 0x1f : 0x20);
  const __m128i tab = _mm_set1_epi8(0x09);
  const __m128i del = _mm_set1_epi8(0x7f);
  const __m128i high = _mm_set1_epi8(static_cast<char>(0x80));
  std::size_t i = from;
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    // Controls: x <= ctl_max (unsigned), and DEL.
    __m128i bad = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, ctl_max), x), _mm_cmpeq_epi8(x, del));
    if constexpr (cls == cc_field) {
      bad = _mm_andnot_si128(_mm_cmpeq_epi8(x, tab), bad);  // HTAB is allowed in field values
    } else {
      bad = _mm_or_si128(bad, _mm_and_si128(x, high));  // request targets are ASCII only
    }
    if (_mm_movemask_epi8(bad) != 0) break;
  }
  return i;
}
#endif

/// Index of the first byte of s[from, size) not in class `cls`, or s.size().
constexpr std::size_t find_not(std::string_view s, std::size_t from, std::uint8_t cls) noexcept {
#if defined(__SSE2__)
  if (!std::is_constant_evaluated()) {
    if (cls == cc_field) from = skip_valid_blocks<cc_field>(s, from);
    if (cls == cc_target) from = skip_valid_blocks<cc_target>(s, from);
  }
#endif
  for (std::size_t i = from; i < s.size(); ++i) {
    if (!(char_classes[static_cast<unsigned char>(s[i])] & cls)) return i;
  }
  return s.size();
}

constexpr bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

}  // namespace detail

/// True if `s` is a token (RFC 9110 §5.6.2: 1*tchar), as methods and field names must be.
constexpr bool is_token(std::string_view s) noexcept {
  return !s.empty() && detail::find_not(s, 0, detail::cc_tchar) == s.size();
}

/// True if `s` is a valid field value as rtwire writes and accepts it (RFC 9110 §5.5): VCHAR,
/// obs-text, SP and HTAB only, and no leading or trailing SP/HTAB. The empty value is valid.
constexpr bool is_field_value(std::string_view s) noexcept {
  if (s.empty()) return true;
  if (detail::is_ows(s.front()) || detail::is_ows(s.back())) return false;
  return detail::find_not(s, 0, detail::cc_field) == s.size();
}

/// ASCII case-insensitive equality, as field names and tokens compare (RFC 9110 §5.1): the one
/// rtwire::ascii::iequals (rtwire/core/ascii.hpp), under its HTTP name.
using ascii::iequals;

/// `s` without leading and trailing OWS (SP / HTAB).
constexpr std::string_view trim_ows(std::string_view s) noexcept {
  std::size_t b = 0, e = s.size();
  while (b < e && detail::is_ows(s[b]))
    ++b;
  while (e > b && detail::is_ows(s[e - 1]))
    --e;
  return s.substr(b, e - b);
}

/// Calls f(element) for each non-empty element of one list-valued field (RFC 9110 §5.6.1),
/// splitting on commas outside quoted-strings (§5.6.4, backslash escapes honoured) and trimming
/// OWS. `f` may return void (never stops) or something convertible to bool (false stops).
/// Returns false if `f` stopped the walk.
template <class F>
bool for_each_list_element(std::string_view value, F&& f) {
  std::size_t start = 0;
  std::size_t i = 0;
  const std::size_t n = value.size();
  while (true) {
    if (i == n || value[i] == ',') {
      const std::string_view element = trim_ows(value.substr(start, i - start));
      if (!element.empty()) {
        if constexpr (std::is_void_v<std::invoke_result_t<F&, std::string_view>>) {
          f(element);
        } else {
          if (!static_cast<bool>(f(element))) return false;
        }
      }
      if (i == n) return true;
      start = i + 1;
    } else if (value[i] == '"') {
      // RFC 9110 §5.6.4: a comma inside a quoted-string does not split the list. An unterminated
      // quoted-string runs to the end of the value.
      ++i;
      while (i < n && value[i] != '"')
        i += (value[i] == '\\' && i + 1 < n) ? 2 : 1;
      if (i == n) continue;
    }
    ++i;
  }
}

/// True if the list-valued field `value` (RFC 9110 §5.6.1) has `token` as an element, compared
/// case-insensitively (e.g. "Upgrade" in `Connection: keep-alive, Upgrade`).
inline bool list_has_token(std::string_view value, std::string_view token) noexcept {
  if (iequals(value, token)) return true;  // fast path: the value is the token alone
  bool found = false;
  auto match = [&](std::string_view element) noexcept {
    found = iequals(element, token);
    return !found;
  };
  for_each_list_element(value, match);
  return found;
}

}  // namespace rtwire::http1
