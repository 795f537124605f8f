// rtwire — typed accessors for the SDP attributes WebRTC uses.
//
//   using namespace rtwire::sdp;
//   for (const attribute& a : m.attributes)
//     if (auto r = get<attr::rtpmap>(a)) use(r->payload_type, r->encoding_name, r->clock_rate);
//   auto mid = find<attr::mid>(m.attributes);           // std::optional<attr::mid>
//   bool mux = has<attr::rtcp_mux>(m.attributes);
//   auto dir = direction_of(m.attributes).value_or(direction::sendrecv);
//
// Every type T in rtwire::sdp::attr has `T::name` (the attribute name) and
// `T::parse(std::optional<std::string_view> value)`, which returns std::nullopt when the value
// does not follow the attribute's grammar (or a flag attribute carries a value). Parsed fields are
// views into the attribute's value, so into the parsed SDP text. Nothing here allocates; unknown
// attributes simply stay as name/value in the model.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "rtwire/sdp/attribute_values.hpp"
#include "rtwire/sdp/media_attributes.hpp"
#include "rtwire/sdp/session.hpp"
#include "rtwire/sdp/transport_attributes.hpp"

namespace rtwire::sdp {

/// The attribute as T when its name is T::name and its value follows T's grammar; otherwise
/// std::nullopt.
template <class T>
std::optional<T> get(const attribute& a) noexcept {
  if (a.name != T::name) return std::nullopt;
  return T::parse(a.value);
}

/// The first attribute named T::name among `attrs`, parsed as T; std::nullopt when there is none
/// or when that first one is malformed.
template <class T>
std::optional<T> find(std::span<const attribute> attrs) noexcept {
  for (const auto& a : attrs)
    if (a.name == T::name) return T::parse(a.value);
  return std::nullopt;
}

/// True when an attribute named T::name is present and well-formed (for flags: a=rtcp-mux).
template <class T>
bool has(std::span<const attribute> attrs) noexcept {
  return find<T>(attrs).has_value();
}

/// How many attributes are named T::name (well-formed or not).
template <class T>
std::size_t count(std::span<const attribute> attrs) noexcept {
  std::size_t n = 0;
  for (const auto& a : attrs)
    n += a.name == T::name ? 1 : 0;
  return n;
}

/// The value of the first attribute called `name` (std::nullopt when absent; an attribute
/// without a value gives an empty view).
inline std::optional<std::string_view> find_value(std::span<const attribute> attrs,
                                                  std::string_view name) noexcept {
  for (const auto& a : attrs)
    if (a.name == name) return a.value.value_or(std::string_view());
  return std::nullopt;
}

}  // namespace rtwire::sdp
