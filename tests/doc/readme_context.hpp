// The names README.md's C++ snippets take from their surroundings, with real data, so the doc
// test (tests/doc/extract_snippets.cmake) compiles every snippet and runs them in order.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

#include "rtwire/core/bytes.hpp"
#include "rtwire/stun/attributes.hpp"

namespace readme {

/// What the server read: the RFC 6455 §1.3 request, then the client's first frame right behind
/// it (RFC 6455 §5.7: a masked "Hello").
inline std::string received =
    "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n"
    "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";

/// An SDP offer (RFC 8866 §5 example, with a media-level mid).
inline std::string text =
    "v=0\r\no=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\ns=Call to John Smith\r\n"
    "c=IN IP4 198.51.100.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\na=mid:0\r\n";

/// RTCIceCandidateInit.candidate as a browser sends it.
inline std::string init_candidate =
    "candidate:842163049 1 udp 1677729535 203.0.113.7 54400 typ srflx raddr 0.0.0.0 rport 0";

/// A STUN Binding request as a datagram (RFC 8489 §5: type 0x0001, length 0, the magic cookie,
/// a 96-bit transaction ID), and its sender.
inline const std::array<std::byte, 20> datagram = [] {
  std::array<std::byte, 20> d{};
  const unsigned char header[8] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
  for (std::size_t i = 0; i < 8; ++i)
    d[i] = std::byte{header[i]};
  for (std::size_t i = 8; i < 20; ++i)
    d[i] = std::byte{static_cast<unsigned char>(i)};
  return d;
}();
inline const rtwire::stun::address source = rtwire::stun::address::v4(192, 0, 2, 1, 32853);
inline const std::uint64_t tie_breaker = 0x0123456789abcdefu;

inline std::size_t bytes_sent = 0;
inline std::size_t stun_replies = 0;
inline std::size_t used = 0;

inline void use(std::string_view) {
  ++used;
}
inline void reply(rtwire::bytes_view bytes) {
  // 20-byte header + XOR-MAPPED-ADDRESS (4 + 8) = 32 bytes.
  if (bytes.size() == 32) ++stun_replies;
}
inline void send(rtwire::bytes_view bytes) {
  bytes_sent += bytes.size();
}

/// What running the snippets must have done: the mid was found and the echo was sent.
inline int check() {
  if (used != 1) return std::fprintf(stderr, "readme: the SDP mid was not found\n"), 1;
  if (stun_replies != 1) return std::fprintf(stderr, "readme: no STUN Binding success\n"), 1;
  if (bytes_sent != 2 + 5) return std::fprintf(stderr, "readme: no echo of \"Hello\"\n"), 1;
  return 0;
}

}  // namespace readme
