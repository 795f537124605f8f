// rtwire — the TURN vocabulary on top of STUN (RFC 8656 §14-18): attribute types, error codes,
// channel numbers, and the ChannelData message (§12.4).
//
//   rtwire::turn::channel_data cd;
//   if (rtwire::turn::parse_channel_data(datagram, cd)) use(cd.number, cd.payload);
//   std::array<std::byte, 4> head = rtwire::turn::channel_data_header(0x4000, 100);
//   use(head, rtwire::turn::channel_data_padding(100));  // 0 over UDP, this over TCP (§12.5)
//
// Views point into the caller's bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "rtwire/core/bytes.hpp"
#include "rtwire/stun/attributes.hpp"
#include "rtwire/stun/message.hpp"

namespace rtwire::turn {

/// RFC 8656 §18: TURN attributes (the 0x8000+ ones are comprehension-optional).
namespace attr {
inline constexpr std::uint16_t channel_number = 0x000c;
inline constexpr std::uint16_t lifetime = 0x000d;
inline constexpr std::uint16_t xor_peer_address = 0x0012;
inline constexpr std::uint16_t data = 0x0013;
inline constexpr std::uint16_t xor_relayed_address = 0x0016;
inline constexpr std::uint16_t requested_address_family = 0x0017;
inline constexpr std::uint16_t even_port = 0x0018;
inline constexpr std::uint16_t requested_transport = 0x0019;
inline constexpr std::uint16_t dont_fragment = 0x001a;
inline constexpr std::uint16_t reservation_token = 0x0022;
inline constexpr std::uint16_t additional_address_family = 0x8000;
inline constexpr std::uint16_t address_error_code = 0x8001;
inline constexpr std::uint16_t icmp = 0x8004;
}  // namespace attr

/// RFC 8656 §19 and RFC 8489 §14.8: the error codes a TURN server answers with.
namespace code {
inline constexpr int bad_request = 400;
inline constexpr int unauthenticated = 401;
inline constexpr int forbidden = 403;
inline constexpr int unknown_attribute = 420;
inline constexpr int allocation_mismatch = 437;
inline constexpr int stale_nonce = 438;
inline constexpr int address_family_not_supported = 440;
inline constexpr int wrong_credentials = 441;
inline constexpr int unsupported_transport_protocol = 442;
inline constexpr int peer_address_family_mismatch = 443;
inline constexpr int allocation_quota_reached = 486;
inline constexpr int server_error = 500;
inline constexpr int insufficient_capacity = 508;
}  // namespace code

/// The reason phrase sent with `c` (RFC 8656 §19, RFC 8489 §14.8).
constexpr const char* reason_phrase(int c) noexcept {
  switch (c) {
    case code::bad_request:
      return "Bad Request";
    case code::unauthenticated:
      return "Unauthenticated";
    case code::forbidden:
      return "Forbidden IP";  // the only 403 here is the peer policy's (coturn's phrase too)
    case code::unknown_attribute:
      return "Unknown Attribute";
    case code::allocation_mismatch:
      return "Allocation Mismatch";
    case code::stale_nonce:
      return "Stale Nonce";
    case code::address_family_not_supported:
      return "Address Family not Supported";
    case code::wrong_credentials:
      return "Wrong Credentials";
    case code::unsupported_transport_protocol:
      return "Unsupported Transport Protocol";
    case code::peer_address_family_mismatch:
      return "Peer Address Family Mismatch";
    case code::allocation_quota_reached:
      return "Allocation Quota Reached";
    case code::insufficient_capacity:
      return "Insufficient Capacity";
    default:
      return "Server Error";
  }
}

/// RFC 8656 §12: channel numbers 0x4000-0x4FFF; RFC 5766 §11 allowed up to 0x7FFF.
inline constexpr std::uint16_t min_channel = 0x4000;
inline constexpr std::uint16_t max_channel = 0x4fff;
inline constexpr std::uint16_t max_legacy_channel = 0x7fff;
/// RFC 8656 §14.7: REQUESTED-TRANSPORT's protocol number for UDP.
inline constexpr std::uint8_t protocol_udp = 17;

/// A ChannelData message (§12.4): channel number and application data (without padding).
struct channel_data {
  std::uint16_t number = 0;
  bytes_view payload{};
};

/// Parses a ChannelData message: 4-byte header, then at least `length` bytes (any more are
/// padding, §12.5, and ignored). False when the first two bits are not 01 or the data is short.
inline bool parse_channel_data(bytes_view in, channel_data& out) noexcept {
  if (in.size() < 4) return false;
  const std::uint16_t number = stun::detail::load16(in.data());
  const std::size_t length = stun::detail::load16(in.data() + 2);
  if ((number & 0xc000u) != 0x4000u || in.size() - 4 < length) return false;
  out.number = number;
  out.payload = in.subspan(4, length);
  return true;
}

/// The ChannelData header for `number` and `length` payload bytes.
inline std::array<std::byte, 4> channel_data_header(std::uint16_t number,
                                                    std::size_t length) noexcept {
  return {static_cast<std::byte>(number >> 8), static_cast<std::byte>(number),
          static_cast<std::byte>(length >> 8), static_cast<std::byte>(length)};
}

/// RFC 8656 §12.5: over a stream, ChannelData is padded to a multiple of 4 bytes.
constexpr std::size_t channel_data_padding(std::size_t length) noexcept {
  return (4 - length % 4) % 4;
}

/// True when the value of an address attribute (XOR-PEER-ADDRESS) has a valid family and size
/// (RFC 8489 §14.2); the STUN parser does not know TURN attributes.
inline bool valid_address_value(bytes_view v) noexcept {
  return stun::detail::check_address(v) == stun::detail::value_check::ok;
}

/// True for the TURN attributes a server understands in requests and indications (RFC 8656
/// §18); anything else comprehension-required gets 420 (RFC 8489 §6.3.1.1). DONT-FRAGMENT is
/// decided by the server's options.
constexpr bool understood(std::uint16_t type) noexcept {
  return type == attr::channel_number || type == attr::lifetime || type == attr::xor_peer_address ||
         type == attr::data || type == attr::requested_address_family ||
         type == attr::requested_transport || type == attr::even_port ||
         type == attr::reservation_token;
}

}  // namespace rtwire::turn
