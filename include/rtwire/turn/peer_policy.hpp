// rtwire — which peers a TURN relay may talk to (RFC 8656 §21.2 "Server Security"), safe by
// default against SSRF through the relay (CVE-2020-26262; CVE-2026-27624 via ::ffff:127.0.0.1).
//
//   rtwire::turn::peer_policy policy;                       // default: deny the special ranges
//   policy.add_relay_address(relay_ip);                     // never relay to ourselves
//   if (auto c = rtwire::turn::parse_cidr("10.0.0.0/8")) policy.deny(c.value);
//   if (auto c = rtwire::turn::parse_cidr("10.1.2.0/24")) policy.allow(c.value);  // allow wins
//   if (!policy.permits(peer)) { /* 403 on CreatePermission / ChannelBind, drop a Send */ }
//
// An address is first canonicalised: IPv4 embedded in IPv6 as ::ffff:a.b.c.d (mapped),
// ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64, RFC 6052) or 2002:aabb:ccdd::/48 (6to4,
// RFC 3056) is judged as the IPv4 address it reaches. It is then
// 1. permitted when an operator allow CIDR (or allow_loopback, for tests) contains it;
// 2. otherwise denied when the built-in list contains it (0.0.0.0/8, 127.0.0.0/8,
//    169.254.0.0/16, 224.0.0.0/4, 255.255.255.255, ::, ::1, fe80::/10, fc00::/7, fec0::/10,
//    ff00::/8) or it is one of the relay's own addresses, or an operator deny CIDR contains
//    it (the raw form is checked too, so ::1 is denied as itself);
// 3. otherwise permitted.
// Nothing allocates after the lists are built; permits() is a few comparisons per CIDR.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "rtwire/core/error.hpp"
#include "rtwire/stun/attributes.hpp"
#include "rtwire/turn/error.hpp"

namespace rtwire::turn {

/// An address block: the first `prefix` bits of `base` (port ignored).
struct cidr {
  stun::address base{};
  unsigned prefix = 0;

  /// True when `a` (same family) starts with the block's bits.
  bool contains(const stun::address& a) const noexcept {
    if (a.family != base.family) return false;
    unsigned bits = prefix;
    for (std::size_t i = 0; bits > 0; ++i) {
      const unsigned take = bits >= 8 ? 8u : bits;
      const unsigned mask = (0xffu << (8 - take)) & 0xffu;
      if (((a.bytes[i] ^ base.bytes[i]) & mask) != 0) return false;
      bits -= take;
    }
    return true;
  }
};

/// A value or the error (code + character offset) that prevented it.
template <class T>
struct [[nodiscard]] result {
  T value{};
  error_at error{};
  bool ok() const noexcept { return !error; }
  explicit operator bool() const noexcept { return ok(); }
};

namespace detail {

inline bool parse_ipv4(std::string_view s, std::uint8_t* out) noexcept {
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (s.empty() || s[0] != '.') return false;
      s.remove_prefix(1);
    }
    std::size_t n = 0;
    unsigned v = 0;
    while (n < s.size() && n < 4 && s[n] >= '0' && s[n] <= '9')
      v = v * 10 + static_cast<unsigned>(s[n++] - '0');
    // One spelling per address: 1-3 digits, no leading zero (which some stacks read as octal).
    if (n == 0 || n > 3 || v > 255 || (n > 1 && s[0] == '0')) return false;
    out[part] = static_cast<std::uint8_t>(v);
    s.remove_prefix(n);
  }
  return s.empty();
}

inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// RFC 4291 §2.2 text forms: 8 groups, one "::", an IPv4 tail.
inline bool parse_ipv6(std::string_view s, std::uint8_t* out) noexcept {
  std::array<std::uint8_t, 16> head{};
  std::array<std::uint8_t, 16> tail{};
  std::size_t nh = 0, nt = 0;
  bool gap = false;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    gap = true;
    s.remove_prefix(2);
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (!s.empty()) {
    std::array<std::uint8_t, 16>& dst = gap ? tail : head;
    std::size_t& n = gap ? nt : nh;
    if (s.find('.') != std::string_view::npos && s.find(':') == std::string_view::npos) {
      if (n + 4 > 16 || !parse_ipv4(s, dst.data() + n)) return false;
      n += 4;
      s = {};
      break;
    }
    std::size_t len = 0;
    unsigned v = 0;
    while (len < s.size() && len < 5 && hex_value(s[len]) >= 0)
      v = v * 16 + static_cast<unsigned>(hex_value(s[len++]));
    if (len == 0 || len > 4 || n + 2 > 16) return false;
    dst[n++] = static_cast<std::uint8_t>(v >> 8);
    dst[n++] = static_cast<std::uint8_t>(v);
    s.remove_prefix(len);
    if (s.empty()) break;
    if (s[0] != ':') return false;
    s.remove_prefix(1);
    if (!s.empty() && s[0] == ':') {
      if (gap) return false;  // RFC 4291 §2.2: "::" can appear only once
      gap = true;
      s.remove_prefix(1);
    } else if (s.empty()) {
      return false;  // a trailing single ':'
    }
  }
  if (gap ? nh + nt > 14 : nh != 16) return false;
  for (std::size_t i = 0; i < 16; ++i)
    out[i] = 0;
  for (std::size_t i = 0; i < nh; ++i)
    out[i] = head[i];
  for (std::size_t i = 0; i < nt; ++i)
    out[16 - nt + i] = tail[i];
  return true;
}

inline bool all_zero(const std::uint8_t* p, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != 0) return false;
  return true;
}

}  // namespace detail

/// Parses an IPv4 (dotted decimal) or IPv6 (RFC 4291 §2.2, without a zone) address; port 0.
inline std::optional<stun::address> parse_ip(std::string_view s) noexcept {
  stun::address a;
  if (s.find(':') == std::string_view::npos) {
    if (!detail::parse_ipv4(s, a.bytes.data())) return std::nullopt;
    return a;
  }
  a.family = stun::family::ipv6;
  if (!detail::parse_ipv6(s, a.bytes.data())) return std::nullopt;
  return a;
}

/// Parses "ADDRESS/PREFIX" (or a bare address: /32 or /128). Bits past the prefix are cleared.
/// Errors: bad_cidr (offset 0, or of the '/'), bad_prefix_length (offset of the prefix).
inline result<cidr> parse_cidr(std::string_view text) noexcept {
  result<cidr> r;
  const std::size_t slash = text.find('/');
  const auto ip = parse_ip(text.substr(0, slash));
  if (!ip) {
    r.error = {make_error_code(error::bad_cidr), 0};
    return r;
  }
  const unsigned width = ip->family == stun::family::ipv4 ? 32u : 128u;
  unsigned prefix = width;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
        digits.size() > 3) {
      r.error = {make_error_code(error::bad_cidr), slash};
      return r;
    }
    if (prefix > width) {
      r.error = {make_error_code(error::bad_prefix_length), slash + 1};
      return r;
    }
  }
  r.value.base = *ip;
  r.value.prefix = prefix;
  for (unsigned bit = prefix; bit < 128; ++bit)
    r.value.base.bytes[bit / 8] =
        static_cast<std::uint8_t>(r.value.base.bytes[bit / 8] & ~(0x80u >> (bit % 8)));
  return r;
}

/// The IPv4 address an IPv6 address reaches when it embeds one (see the header comment), else
/// the address itself. The port is kept.
inline stun::address canonical(const stun::address& a) noexcept {
  if (a.family != stun::family::ipv6) return a;
  const std::uint8_t* b = a.bytes.data();
  const std::uint8_t* v4 = nullptr;
  if (detail::all_zero(b, 10) && b[10] == 0xff && b[11] == 0xff) {
    v4 = b + 12;  // RFC 4291 §2.5.5.2: IPv4-mapped ::ffff:a.b.c.d
  } else if (detail::all_zero(b, 12) && !(detail::all_zero(b + 12, 3) && b[15] <= 1)) {
    v4 = b + 12;  // RFC 4291 §2.5.5.1: IPv4-compatible ::a.b.c.d (not :: or ::1 themselves)
  } else if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
             detail::all_zero(b + 4, 8)) {
    v4 = b + 12;  // RFC 6052 §2.1: the NAT64 well-known prefix 64:ff9b::/96
  } else if (b[0] == 0x20 && b[1] == 0x02) {
    v4 = b + 2;  // RFC 3056 §2: 6to4 2002:V4ADDR::/48
  }
  if (v4 == nullptr) return a;
  stun::address r = stun::address::v4(v4[0], v4[1], v4[2], v4[3], a.port);
  return r;
}

class peer_policy {
 public:
  /// Relaying to loopback (127.0.0.0/8, ::1) is allowed: for tests on one machine only.
  bool allow_loopback = false;

  void allow(const cidr& c) { allow_.push_back(c); }
  void deny(const cidr& c) { deny_.push_back(c); }
  /// One of the relay's own addresses (the port is ignored): never a peer.
  void add_relay_address(stun::address a) {
    a.port = 0;
    own_.push_back(a);
  }

  /// True when the relay may send to (and receive from) `peer`; see the header comment.
  bool permits(const stun::address& peer) const noexcept {
    const stun::address c = canonical(peer);
    for (const cidr& x : allow_)
      if (x.contains(c)) return true;
    if (allow_loopback && is_loopback(c)) return true;
    if (builtin_denied(c) || builtin_denied(peer)) return false;
    for (const stun::address& own : own_)
      if (same_ip(own, c) || same_ip(own, peer)) return false;
    for (const cidr& x : deny_)
      if (x.contains(c) || x.contains(peer)) return false;
    return true;
  }

  /// The built-in deny list (RFC 6890 special-purpose blocks a relay must never reach).
  static bool builtin_denied(const stun::address& a) noexcept {
    const std::uint8_t* b = a.bytes.data();
    if (a.family == stun::family::ipv4) {
      return b[0] == 0                        // 0.0.0.0/8 "this network"
             || b[0] == 127                   // 127.0.0.0/8 loopback
             || (b[0] == 169 && b[1] == 254)  // 169.254/16 link local
             || (b[0] & 0xf0) == 224          // 224.0.0.0/4 multicast
             || (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255);  // broadcast
    }
    return detail::all_zero(b, 16)                     // :: unspecified
           || (detail::all_zero(b, 15) && b[15] == 1)  // ::1 loopback
           || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)  // fe80::/10 link local
           || (b[0] & 0xfe) == 0xfc                    // fc00::/7 unique local
           || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)  // fec0::/10 site local
           || b[0] == 0xff;                            // ff00::/8 multicast
  }

  static bool is_loopback(const stun::address& a) noexcept {
    if (a.family == stun::family::ipv4) return a.bytes[0] == 127;
    return detail::all_zero(a.bytes.data(), 15) && a.bytes[15] == 1;
  }

 private:
  static bool same_ip(const stun::address& a, const stun::address& b) noexcept {
    return a.family == b.family && a.ip().size() == b.ip().size() &&
           std::equal(a.ip().begin(), a.ip().end(), b.ip().begin());
  }

  std::vector<cidr> allow_;
  std::vector<cidr> deny_;
  std::vector<stun::address> own_;
};

}  // namespace rtwire::turn
