// rtwire — typed access to the attributes of a parsed STUN message (RFC 8489 §14, RFC 8445
// §7.1.1, RFC 5780 §7.2).
//
//   if (auto a = rtwire::stun::xor_mapped_address(m)) use(a->port, a->ip());
//   if (auto e = rtwire::stun::error_code(m)) report(e->code, e->reason);
//   std::string_view user = rtwire::stun::username(m).value_or("");
//
// parse() has already checked the length and shape of every attribute named here, so these
// accessors cannot fail: they answer "absent" (std::nullopt) or the decoded value. Views point
// into the message's bytes and share their lifetime.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "rtwire/core/bytes.hpp"
#include "rtwire/stun/message.hpp"

namespace rtwire::stun {

/// RFC 8489 §14.1: the address family field.
enum class family : std::uint8_t { ipv4 = 0x01, ipv6 = 0x02 };

/// A transport address: an IPv4 or IPv6 address and a port (host byte order).
struct address {
  stun::family family = stun::family::ipv4;
  /// Network byte order; the first 4 bytes for IPv4.
  std::array<std::uint8_t, 16> bytes{};
  std::uint16_t port = 0;

  /// The address bytes (4 or 16).
  std::span<const std::uint8_t> ip() const noexcept {
    return {bytes.data(), family == stun::family::ipv4 ? std::size_t{4} : std::size_t{16}};
  }
  friend bool operator==(const address&, const address&) = default;

  static address v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                    std::uint16_t port) noexcept {
    address r;
    r.bytes[0] = a;
    r.bytes[1] = b;
    r.bytes[2] = c;
    r.bytes[3] = d;
    r.port = port;
    return r;
  }
};

/// RFC 8489 §14.8: ERROR-CODE as a number 300-699 and its reason phrase.
struct error_code_value {
  int code = 0;
  std::string_view reason{};
};

/// RFC 8489 §14.11-14.12: one password algorithm and its parameters.
struct password_algorithm_value {
  std::uint16_t algorithm = 0;
  bytes_view parameters{};
};

/// RFC 8489 §18.5: password algorithm numbers.
namespace algorithm {
inline constexpr std::uint16_t md5 = 0x0001;
inline constexpr std::uint16_t sha256 = 0x0002;
}  // namespace algorithm

/// RFC 5780 §7.2: CHANGE-REQUEST flags.
inline constexpr std::uint32_t change_ip = 0x04;
inline constexpr std::uint32_t change_port = 0x02;

// ------------------------------------------------------------------------------------------------
// Decoders of one attribute's value (the attribute must come from parse()).
// ------------------------------------------------------------------------------------------------

/// MAPPED-ADDRESS / ALTERNATE-SERVER (RFC 8489 §14.1, §14.15).
inline address decode_address(const attribute& a) noexcept {
  address r;
  const bytes_view v = a.value;
  if (v.size() < 8) return r;
  r.family = std::to_integer<unsigned>(v[1]) == 0x02 ? family::ipv6 : family::ipv4;
  r.port = detail::load16(v.data() + 2);
  const std::size_t n = v.size() - 4 < 16 ? v.size() - 4 : 16;
  std::memcpy(r.bytes.data(), v.data() + 4, n);
  return r;
}

/// XOR-MAPPED-ADDRESS (RFC 8489 §14.2): port xor the cookie's top 16 bits, IPv4 xor the
/// cookie, IPv6 xor the cookie followed by the transaction ID.
inline address decode_xor_address(const attribute& a, const message_view& m) noexcept {
  address r = decode_address(a);
  r.port = static_cast<std::uint16_t>(r.port ^ (magic_cookie >> 16));
  const std::byte* key = m.bytes().data() + 4;  // cookie, then the 12-byte transaction ID
  for (std::size_t i = 0; i < r.ip().size(); ++i)
    r.bytes[i] = static_cast<std::uint8_t>(r.bytes[i] ^ std::to_integer<std::uint8_t>(key[i]));
  return r;
}

inline error_code_value decode_error_code(const attribute& a) noexcept {
  if (a.value.size() < 4) return {};
  const int cls = std::to_integer<int>(a.value[2]) & 0x07;
  const int number = std::to_integer<int>(a.value[3]);
  return {cls * 100 + number, as_chars(a.value.subspan(4))};
}

/// UNKNOWN-ATTRIBUTES (RFC 8489 §14.9): the i-th listed type.
inline std::size_t unknown_attribute_count(const attribute& a) noexcept {
  return a.value.size() / 2;
}
inline std::uint16_t unknown_attribute_at(const attribute& a, std::size_t i) noexcept {
  return detail::load16(a.value.data() + 2 * i);
}

/// PASSWORD-ALGORITHMS (RFC 8489 §14.11): calls f(password_algorithm_value) for each entry.
template <class F>
void for_each_password_algorithm(const attribute& a, F&& f) {
  const bytes_view v = a.value;
  std::size_t at = 0;
  while (v.size() - at >= 4) {
    const std::size_t n = detail::load16(v.data() + at + 2);
    if (v.size() - at - 4 < n) return;
    f(password_algorithm_value{detail::load16(v.data() + at), v.subspan(at + 4, n)});
    at += 4 + ((n + 3) & ~std::size_t{3});
  }
}

// ------------------------------------------------------------------------------------------------
// Typed access by message.
// ------------------------------------------------------------------------------------------------

inline std::optional<address> mapped_address(const message_view& m) noexcept {
  if (auto a = m.find(attr::mapped_address)) return decode_address(*a);
  return std::nullopt;
}
inline std::optional<address> xor_mapped_address(const message_view& m) noexcept {
  if (auto a = m.find(attr::xor_mapped_address)) return decode_xor_address(*a, m);
  return std::nullopt;
}
inline std::optional<address> alternate_server(const message_view& m) noexcept {
  if (auto a = m.find(attr::alternate_server)) return decode_address(*a);
  return std::nullopt;
}

namespace detail {
inline std::optional<std::string_view> text(const message_view& m, std::uint16_t type) noexcept {
  if (auto a = m.find(type)) return as_chars(a->value);
  return std::nullopt;
}
}  // namespace detail

/// USERNAME (§14.3), REALM (§14.9), NONCE (§14.10), SOFTWARE (§14.14), ALTERNATE-DOMAIN (§14.16):
/// the raw UTF-8 value.
inline std::optional<std::string_view> username(const message_view& m) noexcept {
  return detail::text(m, attr::username);
}
inline std::optional<std::string_view> realm(const message_view& m) noexcept {
  return detail::text(m, attr::realm);
}
inline std::optional<std::string_view> nonce(const message_view& m) noexcept {
  return detail::text(m, attr::nonce);
}
inline std::optional<std::string_view> software(const message_view& m) noexcept {
  return detail::text(m, attr::software);
}
inline std::optional<std::string_view> alternate_domain(const message_view& m) noexcept {
  return detail::text(m, attr::alternate_domain);
}
/// USERHASH (§14.4): 32 bytes.
inline std::optional<bytes_view> userhash(const message_view& m) noexcept {
  if (auto a = m.find(attr::userhash)) return a->value;
  return std::nullopt;
}
inline std::optional<error_code_value> error_code(const message_view& m) noexcept {
  if (auto a = m.find(attr::error_code)) return decode_error_code(*a);
  return std::nullopt;
}
/// PASSWORD-ALGORITHM (§14.12).
inline std::optional<password_algorithm_value> password_algorithm(const message_view& m) noexcept {
  if (auto a = m.find(attr::password_algorithm)) {
    password_algorithm_value r;
    for_each_password_algorithm(*a, [&](const password_algorithm_value& v) { r = v; });
    return r;
  }
  return std::nullopt;
}
/// PRIORITY (RFC 8445 §7.1.1).
inline std::optional<std::uint32_t> priority(const message_view& m) noexcept {
  if (auto a = m.find(attr::priority)) return detail::load32(a->value.data());
  return std::nullopt;
}
/// USE-CANDIDATE (RFC 8445 §7.1.2).
inline bool use_candidate(const message_view& m) noexcept {
  return m.has(attr::use_candidate);
}
/// ICE-CONTROLLED / ICE-CONTROLLING (RFC 8445 §7.1.3): the sender's tie-breaker.
inline std::optional<std::uint64_t> ice_controlled(const message_view& m) noexcept {
  if (auto a = m.find(attr::ice_controlled))
    return (std::uint64_t{detail::load32(a->value.data())} << 32) |
           detail::load32(a->value.data() + 4);
  return std::nullopt;
}
inline std::optional<std::uint64_t> ice_controlling(const message_view& m) noexcept {
  if (auto a = m.find(attr::ice_controlling))
    return (std::uint64_t{detail::load32(a->value.data())} << 32) |
           detail::load32(a->value.data() + 4);
  return std::nullopt;
}
/// CHANGE-REQUEST (RFC 5780 §7.2): the flags word (change_ip | change_port).
inline std::optional<std::uint32_t> change_request(const message_view& m) noexcept {
  if (auto a = m.find(attr::change_request)) return detail::load32(a->value.data());
  return std::nullopt;
}

}  // namespace rtwire::stun
