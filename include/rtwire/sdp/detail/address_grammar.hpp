// rtwire — the connection-address grammars behind sdp::classify_address() (sdp/candidate.hpp):
// IPv4, IPv6 (with a zone id) and FQDN checks. Internal: not part of the public API.
#pragma once

#include <cstddef>
#include <string_view>

#include "rtwire/sdp/detail/text.hpp"

namespace rtwire::sdp::detail {

// RFC 8866 §9: IP4-address = b1 3("." decimal-uchar), decimal-uchar = 0-255 without leading
// zeros being significant; we accept 1 to 3 digits per part.
inline bool is_ipv4(std::string_view s) noexcept {
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t start = i;
    unsigned v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3) {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
    }
    if (i == start || v > 255) return false;
    ++parts;
    if (i == s.size()) return parts == 4;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
}

inline bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 4291 §2.2 text forms (8 groups, one "::", an IPv4 tail), plus an RFC 6874 zone id after
// '%' (browsers and OS stacks print link-local addresses as fe80::1%eth0).
inline bool is_ipv6(std::string_view s) noexcept {
  if (const auto pct = s.find('%'); pct != std::string_view::npos) {
    const std::string_view zone = drop(s, pct + 1);
    if (zone.empty()) return false;
    for (const char c : zone)
      if (!is(c, cc_alpha | cc_digit) && c != '.' && c != '_' && c != '-' && c != '~') return false;
    s = take(s, pct);
  }
  if (s.size() < 2) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s[0] == ':') {
    if (s[1] != ':') return false;
    compressed = true;
    i = 2;
    if (i == s.size()) return true;  // "::"
  }
  while (i < s.size()) {
    std::size_t start = i;
    while (i < s.size() && is_hex(s[i]) && i - start < 4)
      ++i;
    if (i < s.size() && s[i] == '.') {
      // An IPv4 tail takes the place of the last two groups.
      if (!is_ipv4(drop(s, start))) return false;
      groups += 2;
      i = s.size();
      break;
    }
    if (i == start) return false;
    ++groups;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;  // a single trailing ':'
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

// RFC 8866 §9 FQDN, read as RFC 1035 host names: labels of letters, digits and '-' (not at the
// ends) separated by dots, at most 63 bytes per label and 253 in all. mDNS names such as
// "1f4712db-ea17-4bcf-a596-105139dfd8bf.local" (RFC 6762) are FQDNs.
inline bool is_fqdn(std::string_view s) noexcept {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  bool numeric_label = true;  // the current label has digits only
  bool last_numeric = true;   // the last complete label had digits only
  char prev = '.';
  for (const char c : s) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      last_numeric = numeric_label;
      label = 0;
      numeric_label = true;
    } else if (is(c, cc_alpha | cc_digit) || c == '-') {
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
      numeric_label = numeric_label && is(c, cc_digit);
    } else {
      return false;
    }
    prev = c;
  }
  if (prev == '-') return false;
  if (label != 0) last_numeric = numeric_label;
  // RFC 1123 §2.1: a top-level label is never all digits, so "10.0.0.300" or "1.2.3" is a broken
  // IPv4 address, not a host name. A trailing '.' (an absolute name) is allowed.
  return !last_numeric;
}

}  // namespace rtwire::sdp::detail
