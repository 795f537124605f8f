// The names the usage sketches in rtwire's header comments take from their surroundings, one
// namespace per header (tests/doc/extract_sketches.cmake). Declarations only: the sketches are
// compiled, not run.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
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

}  // namespace rtwire_sketch
