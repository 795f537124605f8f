// The names the usage sketches in rtwire's header comments take from their surroundings, one
// namespace per header (tests/doc/extract_sketches.cmake). Declarations only: the sketches are
// compiled, not run.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/turn.hpp"
#include "rtwire/ws/frame.hpp"

namespace rtwire_sketch {

template <class... T>
void use(const T&...) {}

namespace core_http1_parser {
inline std::string_view bytes;
}
namespace core_http1_writer {}
namespace core_utf8 {
inline std::string_view text;
inline std::vector<rtwire::bytes_view> pieces;
inline std::error_code fail(const rtwire::error_at& e) {
  return e.code;
}
inline void reject(std::string_view) {}
}  // namespace core_utf8
namespace core_base64 {
inline std::array<std::byte, 16> nonce{};
inline std::string_view key;
inline void report(std::error_code, std::size_t) {}
}  // namespace core_base64
namespace ws_accept_key {}
namespace ws_handshake {
inline std::string_view bytes;
inline std::string_view response_bytes;
inline std::string out;
inline std::array<std::byte, 16> nonce16{};
}  // namespace ws_handshake
namespace ws_frame {
inline rtwire::bytes_view bytes;
inline rtwire::mutable_bytes_view payload;
inline rtwire::ws::masking_key key{};
inline std::size_t phase = 0;
inline std::string out;
inline void use_payload(rtwire::bytes_view) {}
}  // namespace ws_frame
namespace ws_decoder {
inline rtwire::mutable_bytes_view what_the_socket_gave_us;
inline void fail(const rtwire::error_at&) {}
inline void end_of_frame(const rtwire::ws::frame_header&) {}
}  // namespace ws_decoder
namespace ws_connection {
inline std::array<std::byte, 64> bytes_read{};
inline std::size_t n_written = 0;
inline void write_to_socket(rtwire::bytes_view) {}
inline void close_socket() {}
}  // namespace ws_connection
namespace sse_decoder {
inline std::string_view chunk;
inline std::uint64_t reconnect_delay = 0;
inline void handle(std::string_view, std::string_view, std::string_view) {}
}  // namespace sse_decoder
namespace sse_encoder {}
namespace sdp_session {
inline std::string_view offer;
using rtwire_sketch::use;
}  // namespace sdp_session
namespace sdp_candidate {
struct rtc_ice_candidate_init {
  std::string candidate;
};
inline rtc_ice_candidate_init init;
using rtwire_sketch::use;
}  // namespace sdp_candidate

namespace turn_peer_policy {
inline rtwire::stun::address relay_ip{};
inline rtwire::stun::address peer{};
}  // namespace turn_peer_policy
namespace turn_credentials {
using rtwire_sketch::use;
inline std::string_view user, realm;
inline std::uint64_t unix_seconds_now = 0;
}  // namespace turn_credentials
namespace turn_protocol {
using rtwire_sketch::use;
inline rtwire::bytes_view datagram;
}  // namespace turn_protocol
namespace turn_types {
using rtwire_sketch::use;
}
namespace turn_allocation {
inline rtwire::turn::server* relay = nullptr;
inline rtwire::turn::server& server_of() {
  return *relay;
}
inline rtwire::turn::client alice{};
inline rtwire::stun::address peer{};
inline rtwire::turn::millis now{};
}  // namespace turn_allocation
namespace turn_server {
inline std::array<std::byte, 32> random_secret{};
inline rtwire::stun::address from{}, to{};
inline rtwire::bytes_view datagram;
inline rtwire::turn::millis now{};
inline rtwire::turn::credential_store store;
inline std::uint64_t unix_now = 0;
inline void send_to(const rtwire::turn::client&, rtwire::bytes_view) {}
inline void relay_send(const rtwire::turn::send_peer&) {}
inline void open_socket(const rtwire::turn::open_relay&) {}
inline void close_socket(const rtwire::turn::close_relay&) {}
inline void arm_timer(rtwire::turn::millis) {}
}  // namespace turn_server
}  // namespace rtwire_sketch
