// The names the usage sketches in rtwire's header comments take from their surroundings, one
// namespace per header (tests/doc/extract_sketches.cmake). Declarations only: the sketches are
// compiled, not run.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/core/http1_head.hpp"
#include "rtwire/core/log.hpp"
#include "rtwire/core/sha1.hpp"
#include "rtwire/longpoll/types.hpp"
#include "rtwire/sdp/session.hpp"
#include "rtwire/sse/prepared.hpp"
#include "rtwire/stun/attributes.hpp"
#include "rtwire/stun/ice.hpp"
#include "rtwire/stun/integrity.hpp"
#include "rtwire/stun/message.hpp"
#include "rtwire/turn.hpp"
#include "rtwire/ws/connection.hpp"
#include "rtwire/ws/frame.hpp"
#include "rtwire/ws/handshake.hpp"

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
namespace core_ascii {
inline std::string_view name;
}
namespace core_http1_grammar {}
namespace core_ct_equal {
inline std::array<std::byte, 20> received_mac{};
inline std::array<std::byte, 20> expected_mac{};
inline void accept() {}
}  // namespace core_ct_equal
namespace core_crc32 {
inline rtwire::bytes_view bytes;
inline rtwire::bytes_view part1;
inline rtwire::bytes_view part2;
}  // namespace core_crc32
namespace core_sha1 {
inline std::string_view part1;
inline std::string_view part2;
}  // namespace core_sha1
namespace core_md5 {
inline std::string_view part1;
inline std::string_view part2;
}  // namespace core_md5
namespace core_sha256 {
inline std::string_view part1;
inline std::string_view part2;
}  // namespace core_sha256
namespace core_hmac {
inline rtwire::bytes_view password_bytes;
inline rtwire::bytes_view message_bytes;
inline rtwire::bytes_view header;
inline rtwire::bytes_view body;
}  // namespace core_hmac
namespace core_log {
inline std::uint64_t boot_id = 0;
inline rtwire::log::millis now{0};
inline std::string_view last_event_id_text;
inline void send(const rtwire::log::message&) {}
inline void tell_client_to_reset(std::error_code, const rtwire::log::cursor&) {}
inline std::uint64_t epoch = 0;       // the mirrored log's epoch ...
inline std::uint64_t shared_top = 0;  // ... and its newest offset
}  // namespace core_log
namespace core_log_cursor {}  // namespace core_log_cursor
namespace core_log_error {}
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
namespace ws_prepared {
inline std::string_view text;
inline std::vector<rtwire::ws::connection> members;
inline std::size_t sent = 0;
}  // namespace ws_prepared
namespace ws_deflate {
inline rtwire::ws::upgrade_request request;
inline std::span<const rtwire::ws::extension> accepted_extensions;
}  // namespace ws_deflate
namespace sse_decoder {
inline std::string_view chunk;
inline std::uint64_t reconnect_delay = 0;
inline void handle(std::string_view, std::string_view, std::string_view) {}
}  // namespace sse_decoder
namespace sse_encoder {}
namespace sse_prepared {
inline std::string_view text;
inline std::vector<rtwire::sse::output_queue> queues(1);
inline std::size_t sent = 0;
}  // namespace sse_prepared
namespace sse_replay {
struct request_type {
  rtwire::http1::header_list headers;
};
inline request_type request;
inline rtwire::log::message_log topic_log(/*epoch=*/1);
inline void send(std::string_view) {}
}  // namespace sse_replay
namespace longpoll_queue {
using namespace std::chrono_literals;
inline std::uint64_t boot_id = 0;
inline rtwire::log::millis now{0};
inline std::string_view cursor_text, cursor_a, cursor_b;
inline std::uint64_t conn_id = 0;
inline std::string_view body;
inline std::vector<rtwire::longpoll::completion> completions;
inline rtwire::longpoll::topic_id room_a{}, room_b{};
inline void answer(const rtwire::longpoll::batch&, const rtwire::log::cursor&) {}
inline void remember(rtwire::longpoll::waiter_id) {}
inline void answer_409(const rtwire::log::cursor&) {}
inline void answer_4xx(std::error_code) {}
}  // namespace longpoll_queue
namespace sdp_session {
inline std::string_view offer;
using rtwire_sketch::use;
}  // namespace sdp_session
namespace sdp_attributes {
inline rtwire::sdp::media m;
using rtwire_sketch::use;
}  // namespace sdp_attributes
namespace sdp_attribute_values {
inline rtwire::sdp::media m;
using rtwire_sketch::use;
}  // namespace sdp_attribute_values
namespace sdp_media_attributes {  // the value of one a=rtpmap line
inline std::optional<std::string_view> value;
using rtwire_sketch::use;
}  // namespace sdp_media_attributes
namespace sdp_transport_attributes {  // the value of one a=fingerprint line
inline std::optional<std::string_view> value;
using rtwire_sketch::use;
}  // namespace sdp_transport_attributes
namespace rtwire_sdp {  // the umbrella header's sketch: an offer and a trickled candidate
inline std::string_view offer;
struct rtc_ice_candidate_init {
  std::string candidate;
};
inline rtc_ice_candidate_init init;
inline void report(std::size_t, std::size_t, const std::string&) {}
}  // namespace rtwire_sdp
namespace rtwire_fmt {  // any parser with a sticky error
struct any_parser {
  rtwire::error_at error() const { return {}; }
};
inline any_parser parser;
}  // namespace rtwire_fmt
namespace sdp_writer {
inline rtwire::sdp::session parsed;
}
namespace sdp_candidate {
struct rtc_ice_candidate_init {
  std::string candidate;
};
inline rtc_ice_candidate_init init;
using rtwire_sketch::use;
}  // namespace sdp_candidate
namespace stun_udp {  // what the STUN sketches take from a datagram socket
inline std::array<std::byte, 64> buffer{};
inline rtwire::bytes_view datagram{buffer};
inline rtwire::stun::address source;
struct socket_type {
  void send_to(rtwire::bytes_view, const rtwire::stun::address&) {}
};
inline socket_type socket;
}  // namespace stun_udp
namespace stun_message {
using namespace stun_udp;
using rtwire_sketch::use;
}  // namespace stun_message
namespace stun_attributes {
inline rtwire::stun::message_view m;
using rtwire_sketch::use;
inline void report(int, std::string_view) {}
}  // namespace stun_attributes
namespace stun_integrity {
inline rtwire::stun::message_view m;
inline void accept(const rtwire::stun::message_view&) {}
inline void answer(int) {}
inline void discard(const rtwire::stun::message_view&) {}
}  // namespace stun_integrity
namespace stun_writer {
inline rtwire::stun::message_view request;
inline rtwire::stun::address source;
inline const rtwire::stun::key password_key = rtwire::stun::key::short_term("password");
inline void send(rtwire::bytes_view) {}
}  // namespace stun_writer
namespace stun_binding {
using namespace stun_udp;
}
namespace stun_ice {
using namespace stun_udp;
inline std::uint64_t tie_breaker = 0;
inline void nominate(const rtwire::stun::address&) {}
inline void switch_role(rtwire::stun::ice_role) {}
}  // namespace stun_ice
namespace stun_demux {
using stun_udp::datagram;
inline void on_stun(rtwire::bytes_view) {}
inline void on_dtls(rtwire::bytes_view) {}
inline void on_rtp(rtwire::bytes_view) {}
inline void on_channel(rtwire::bytes_view) {}
}  // namespace stun_demux
namespace stun_framer {
inline rtwire::bytes_view what_the_socket_gave_us;
inline void close(const rtwire::error_at&) {}
}  // namespace stun_framer

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
