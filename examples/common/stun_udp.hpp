// Shared by the examples: a STUN Binding server on one UDP socket (standalone Asio), driving
// rtwire's sans-IO binding_responder. stun_server uses it beside its TCP side; chat_server
// --stun-port runs one so the chat page can hand browsers `stun:HOST:PORT`.
//
//   rtwire::stun::binding_responder responder;
//   rtwire_examples::stun_udp_server udp(io, {address, 3478}, responder);   // binds now
//   udp.start();                                                             // answers forever
//
// Each datagram goes to binding_responder::respond(); a non-empty answer is sent back to the
// datagram's source, anything else is discarded silently (RFC 8489 §6.3) and counted by the
// responder. One receive buffer, one answer buffer: nothing is allocated per datagram.
// Not part of the library.
#pragma once

#include <rtwire/stun/attributes.hpp>
#include <rtwire/stun/binding.hpp>

#include <asio.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace rtwire_examples {

/// An Asio endpoint (UDP or TCP) as a STUN transport address.
template <class Endpoint>
rtwire::stun::address to_stun_address(const Endpoint& ep) {
  rtwire::stun::address a;
  a.port = ep.port();
  // A dual-stack socket (bound to ::) sees an IPv4 client as ::ffff:a.b.c.d; RFC 8489 §14.2
  // maps the client's transport address as it is, an IPv4 one, so unwrap it.
  auto ip = ep.address();
  if (ip.is_v6() && ip.to_v6().is_v4_mapped())
    ip = asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6());
  if (ip.is_v4()) {
    const auto b = ip.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), a.bytes.begin());
  } else {
    a.family = rtwire::stun::family::ipv6;
    const auto b = ip.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), a.bytes.begin());
  }
  return a;
}

class stun_udp_server {
 public:
  /// Binds at once (throws asio::system_error when the address is taken), so that port() is
  /// known before start(); port 0 picks a free port.
  stun_udp_server(asio::io_context& io, const asio::ip::udp::endpoint& at,
                  rtwire::stun::binding_responder& responder)
      : socket_(io, at), responder_(responder) {}

  std::uint16_t port() const { return socket_.local_endpoint().port(); }

  void start() {
    socket_.async_receive_from(
        asio::buffer(in_), from_, [this](asio::error_code ec, std::size_t n) {
          if (ec == asio::error::operation_aborted) return;  // the socket was closed
          if (!ec) {
            const std::size_t size =
                responder_.respond(rtwire::bytes_view(in_.data(), n), to_stun_address(from_), out_);
            asio::error_code ignored;  // UDP: a lost answer is the client's retransmission
            if (size != 0) socket_.send_to(asio::buffer(out_.data(), size), from_, 0, ignored);
          }
          start();
        });
  }

 private:
  asio::ip::udp::socket socket_;
  rtwire::stun::binding_responder& responder_;
  asio::ip::udp::endpoint from_;
  std::array<std::byte, 65536> in_{};
  // A Binding success or error answer: header, XOR-MAPPED-ADDRESS (IPv6: 24), an ERROR-CODE with
  // its reason, UNKNOWN-ATTRIBUTES, SOFTWARE (<= 763) and FINGERPRINT all fit in 1 KiB.
  std::array<std::byte, 1024> out_{};
};

}  // namespace rtwire_examples
