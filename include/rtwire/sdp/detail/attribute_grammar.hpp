// rtwire — grammar helpers shared by the typed SDP attributes (sdp/media_attributes.hpp,
// sdp/transport_attributes.hpp): bounded integers and decimals, the first-space split, and the
// flag / single-value / decimal attribute shapes. Internal: not part of the public API.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

#include "rtwire/sdp/detail/text.hpp"

namespace rtwire::sdp {

namespace detail {

template <class Int>
inline bool parse_int(std::string_view s, Int& out, std::size_t max_digits) noexcept {
  std::uint64_t v = 0;
  if (!parse_uint(s, v, max_digits) || v > static_cast<std::uint64_t>(static_cast<Int>(~Int{0})))
    return false;
  out = static_cast<Int>(v);
  return true;
}

/// A decimal number such as "20", "0.5" or "29.97" (RFC 8866 §6.4, §6.8): 1*DIGIT ["." 1*DIGIT].
inline bool parse_decimal(std::string_view s, double& out) noexcept {
  const std::size_t dot = s.find('.');
  if (!is_digits(s.substr(0, dot))) return false;
  if (dot != std::string_view::npos && !is_digits(s.substr(dot + 1))) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// Splits `value` at its first space into head and tail (tail empty when there is none).
inline void split_first(std::string_view value, std::string_view& head, std::string_view& tail) {
  const std::size_t sp = value.find(' ');
  head = value.substr(0, sp);
  tail = sp == std::string_view::npos ? std::string_view() : value.substr(sp + 1);
}

/// A flag attribute (a=<name> without a value).
template <class Self>
struct flag {
  static std::optional<Self> parse(std::optional<std::string_view> value) noexcept {
    if (value) return std::nullopt;
    return Self{};
  }
};

/// An attribute whose whole value is one non-empty string.
template <class Self>
struct single_value {
  std::string_view value;
  static std::optional<Self> parse(std::optional<std::string_view> v) noexcept {
    if (!v || v->empty()) return std::nullopt;
    Self s;
    s.value = *v;
    return s;
  }
};

inline bool is_ice_chars(std::string_view s, std::size_t min, std::size_t max) noexcept {
  return s.size() >= min && s.size() <= max && all_of(s, cc_ice);
}

/// An attribute whose value is a decimal number (a=ptime, a=maxptime, a=framerate).
template <class Self>
struct decimal {
  std::string_view text;
  double value = 0;
  static std::optional<Self> parse(std::optional<std::string_view> v) noexcept {
    Self r;
    if (!v || !parse_decimal(*v, r.value)) return std::nullopt;
    r.text = *v;
    return r;
  }
};

}  // namespace detail

}  // namespace rtwire::sdp
