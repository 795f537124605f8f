// Fuzz target: turn::parse_ip and turn::parse_cidr (the peer policy's operator input), against
// the C library's inet_pton: the same texts are accepted (dotted decimal without leading zeros,
// RFC 4291 §2.2 IPv6 without a zone) and give the same bytes; a parsed CIDR contains its base,
// keeps no bits past its prefix, and canonical() of any address is stable.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "rtwire/turn/peer_policy.hpp"

namespace {

namespace tn = rtwire::turn;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 128) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string_view ip_text = std::string_view(text).substr(0, text.find('/'));
  const auto ip = tn::parse_ip(ip_text);
  // The reference: inet_pton on a NUL-terminated copy (a text with a NUL is not an address).
  const std::string z(ip_text);
  unsigned char ref[16] = {};
  const bool has_nul = z.find('\0') != std::string::npos;
  const bool v4 = !has_nul && inet_pton(AF_INET, z.c_str(), ref) == 1;
  const bool v6 = !has_nul && !v4 && inet_pton(AF_INET6, z.c_str(), ref) == 1;
  check(ip.has_value() == (v4 || v6));
  if (ip) {
    check((ip->family == rtwire::stun::family::ipv4) == v4);
    check(std::memcmp(ip->bytes.data(), ref, v4 ? 4 : 16) == 0);
    const auto c = tn::canonical(*ip);
    check(tn::canonical(c) == c || c.family == rtwire::stun::family::ipv6);
  }
  const auto c = tn::parse_cidr(text);
  if (c) {
    check(ip.has_value());
    check(c.value.prefix <= (ip->family == rtwire::stun::family::ipv4 ? 32u : 128u));
    check(c.value.contains(c.value.base));
    check(c.value.contains(*ip));
    for (unsigned bit = c.value.prefix; bit < 128; ++bit)
      check((c.value.base.bytes[bit / 8] & (0x80u >> (bit % 8))) == 0);
  } else {
    check(c.error.offset <= text.size());
  }
  return 0;
}
