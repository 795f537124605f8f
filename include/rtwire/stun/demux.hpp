// rtwire — RFC 7983 demultiplexing: which protocol a datagram on a shared port belongs to.
//
//   switch (rtwire::stun::classify(std::to_integer<std::uint8_t>(datagram[0]))) {
//     case rtwire::stun::packet_kind::stun: on_stun(datagram); break;  // rtwire::stun::parse
//     case rtwire::stun::packet_kind::dtls: on_dtls(datagram); break;
//     case rtwire::stun::packet_kind::rtp_rtcp: on_rtp(datagram); break;
//     case rtwire::stun::packet_kind::channel_data: on_channel(datagram); break;  // RFC 8656 §12
//     default: break;  // zrtp, unknown: drop
//   }
#pragma once

#include <cstddef>
#include <cstdint>

#include "rtwire/core/bytes.hpp"

namespace rtwire::stun {

/// RFC 7983 §7: the protocols told apart by the first byte.
enum class packet_kind : std::uint8_t {
  stun,          ///< 0-3
  zrtp,          ///< 16-19
  dtls,          ///< 20-63
  channel_data,  ///< 64-79 (TURN channels)
  rtp_rtcp,      ///< 128-191
  unknown,       ///< anything else: RFC 7983 says drop it
};

/// Classifies a packet by its first byte (RFC 7983 §7, the updated ranges of §5 and RFC 9443).
constexpr packet_kind classify(std::uint8_t first) noexcept {
  if (first <= 3) return packet_kind::stun;
  if (first >= 16 && first <= 19) return packet_kind::zrtp;
  if (first >= 20 && first <= 63) return packet_kind::dtls;
  if (first >= 64 && first <= 79) return packet_kind::channel_data;
  if (first >= 128 && first <= 191) return packet_kind::rtp_rtcp;
  return packet_kind::unknown;
}

/// Classifies a datagram by its first byte; an empty one is `unknown`.
constexpr packet_kind classify(std::byte first) noexcept {
  return classify(std::to_integer<std::uint8_t>(first));
}
constexpr packet_kind classify(bytes_view datagram) noexcept {
  return datagram.empty() ? packet_kind::unknown : classify(datagram[0]);
}

/// The name of a kind ("stun", "dtls", ...).
constexpr const char* to_string(packet_kind k) noexcept {
  switch (k) {
    case packet_kind::stun:
      return "stun";
    case packet_kind::zrtp:
      return "zrtp";
    case packet_kind::dtls:
      return "dtls";
    case packet_kind::channel_data:
      return "channel_data";
    case packet_kind::rtp_rtcp:
      return "rtp_rtcp";
    case packet_kind::unknown:
      break;
  }
  return "unknown";
}

}  // namespace rtwire::stun
