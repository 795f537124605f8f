// rtwire — WebSocket errors: close codes (RFC 6455 §7.4), `ws::error` (category "rtwire.ws": the
// frame layer, the decoder and the connection) and `ws::handshake_error` (category
// "rtwire.ws.handshake": the opening handshake, RFC 6455 §4).
//
// Peer violations map to condition::protocol_violation and name the close code to send
// (close_code_for); configured limits to limit_exceeded; the caller's mistakes to api_misuse and
// never fail a connection. HTTP syntax errors in a handshake keep their rtwire::http1::error code.
#pragma once

#include <array>
#include <cstdint>
#include <system_error>

#include "rtwire/core/error.hpp"

namespace rtwire::ws {

// ------------------------------------------------------------------------------------------------
// Close codes (RFC 6455 §7.4)
// ------------------------------------------------------------------------------------------------

/// A close status code (RFC 6455 §7.4.1). Any 16-bit value can be held (`close_code{4000}` for an
/// application code); the named values are the ones RFC 6455 and the IANA registry define.
enum class close_code : std::uint16_t {
  /// Not a wire code: "no close frame to send" (the answer of close_code_for() for API misuse).
  none = 0,
  normal = 1000,
  going_away = 1001,
  protocol_error = 1002,
  unsupported_data = 1003,
  /// Never sent: the received close frame had no status code (RFC 6455 §7.1.5).
  no_status = 1005,
  /// Never sent: the connection ended without a close frame (RFC 6455 §7.1.5).
  abnormal = 1006,
  invalid_payload = 1007,
  policy_violation = 1008,
  message_too_big = 1009,
  mandatory_extension = 1010,
  internal_error = 1011,
  service_restart = 1012,
  try_again_later = 1013,
  bad_gateway = 1014,
  /// Never sent: TLS handshake failure (RFC 6455 §7.4.1).
  tls_handshake = 1015,
};

/// True if `code` may appear in a close frame on the wire (RFC 6455 §7.4.1/§7.4.2 and the IANA
/// "WebSocket Close Code Number Registry", as Autobahn case 7.7/7.9 test it): 1000-1003 and
/// 1007-1014 are defined; 1004 is reserved, 1005/1006/1015 must never be sent, 1016-2999 are
/// reserved for future protocol use, 3000-4999 belong to libraries and applications, and 0-999
/// and 5000+ are not used.
constexpr bool is_valid_close_code(std::uint16_t code) noexcept {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  return code >= 3000 && code <= 4999;
}

// ------------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------------

/// Everything that can go wrong in the frame layer and the connection. Peer violations say which
/// close code to send (close_code_for); api_misuse values are the caller's mistakes and never
/// fail the connection.
enum class error {
  // The peer broke RFC 6455: close 1002 (protocol error).
  reserved_bits_set = 1,
  reserved_opcode,
  fragmented_control_frame,
  control_frame_too_long,
  non_minimal_length,
  length_msb_set,
  unmasked_frame,
  masked_frame,
  unexpected_continuation,
  expected_continuation,
  bad_close_payload,
  invalid_close_code,
  // The peer sent data that is not what it claims to be: close 1007 (invalid payload data).
  invalid_utf8,
  invalid_close_reason,
  // A configured limit: close 1009 (message too big) or 1008 (policy violation).
  frame_too_big,
  message_too_big,
  too_many_fragments,
  buffer_limit,
  // The transport ended without a closing handshake (close code 1006, never sent).
  unexpected_eof,
  // The caller used the API wrongly (nothing is sent, the connection is not failed).
  send_after_close,
  invalid_argument,
  message_in_progress,
  missing_key_source,
  input_pending,
  // permessage-deflate (RFC 7692), when negotiated: 1002 for a misplaced RSV1, 1007 for data
  // that does not inflate.
  compressed_control_frame,
  compressed_continuation,
  bad_compressed_data,
  // Prepared messages (rtwire/ws/prepared.hpp): the caller's mistakes, nothing is sent.
  prepared_for_client,
  text_not_utf8,
  compression_not_shareable,
};

namespace detail {

struct error_desc {
  static constexpr const char* name = "rtwire.ws";
  using e = error;
  using c = condition;
  static constexpr std::array<error_entry<error>, 30> entries{{
      {e::reserved_bits_set, "RSV1/RSV2/RSV3 set without a negotiated extension (RFC 6455 §5.2)",
       c::protocol_violation},
      {e::reserved_opcode, "reserved opcode (RFC 6455 §5.2)", c::protocol_violation},
      {e::fragmented_control_frame, "fragmented control frame (RFC 6455 §5.5)",
       c::protocol_violation},
      {e::control_frame_too_long, "control frame payload longer than 125 bytes (RFC 6455 §5.5)",
       c::protocol_violation},
      {e::non_minimal_length, "payload length not in its minimal encoding (RFC 6455 §5.2)",
       c::protocol_violation},
      {e::length_msb_set, "64-bit payload length with its most significant bit set (RFC 6455 §5.2)",
       c::protocol_violation},
      {e::unmasked_frame, "a client frame is not masked (RFC 6455 §5.1)", c::protocol_violation},
      {e::masked_frame, "a server frame is masked (RFC 6455 §5.1)", c::protocol_violation},
      {e::unexpected_continuation, "continuation frame with no message to continue (RFC 6455 §5.4)",
       c::protocol_violation},
      {e::expected_continuation,
       "new data frame while a fragmented message is unfinished (RFC 6455 §5.4)",
       c::protocol_violation},
      {e::bad_close_payload, "close frame payload of length 1 (RFC 6455 §5.5.1)",
       c::protocol_violation},
      {e::invalid_close_code, "close status code not allowed on the wire (RFC 6455 §7.4)",
       c::protocol_violation},
      {e::invalid_utf8, "text message is not valid UTF-8 (RFC 6455 §8.1)", c::protocol_violation},
      {e::invalid_close_reason, "close reason is not valid UTF-8 (RFC 6455 §5.5.1)",
       c::protocol_violation},
      {e::frame_too_big, "frame payload larger than the configured limit", c::limit_exceeded},
      {e::message_too_big, "message larger than the configured limit", c::limit_exceeded},
      {e::too_many_fragments, "more fragments in one message than the configured limit",
       c::limit_exceeded},
      {e::buffer_limit, "message needs more buffering than the configured limit",
       c::limit_exceeded},
      {e::unexpected_eof, "the transport ended without a closing handshake (RFC 6455 §7.1.5)",
       c::protocol_violation},
      {e::send_after_close, "cannot send: a close frame was already sent or the connection failed",
       c::api_misuse},
      {e::invalid_argument,
       "invalid argument (close code not sendable, control payload over 125 bytes, or close "
       "reason not UTF-8)",
       c::api_misuse},
      {e::message_in_progress, "a fragmented message being sent must be finished first",
       c::api_misuse},
      {e::missing_key_source, "the client role needs a masking key source", c::api_misuse},
      {e::input_pending, "feed() called before next() consumed the previous input", c::api_misuse},
      {e::compressed_control_frame, "RSV1 (compressed) set on a control frame (RFC 7692 §6.1)",
       c::protocol_violation},
      {e::compressed_continuation, "RSV1 (compressed) set on a continuation frame (RFC 7692 §6.1)",
       c::protocol_violation},
      {e::bad_compressed_data,
       "a compressed message does not inflate as DEFLATE data (RFC 7692 §7.2.2)",
       c::protocol_violation},
      {e::prepared_for_client,
       "a prepared message is an unmasked server frame: a client masks every frame with a key "
       "of its own (RFC 6455 §5.1, §5.3)",
       c::api_misuse},
      {e::text_not_utf8, "text to send is not valid UTF-8 (RFC 6455 §5.6)", c::bad_input},
      {e::compression_not_shareable,
       "the codec keeps its context between messages: compressed bytes cannot be shared "
       "(RFC 7692 §7.1.1)",
       c::api_misuse},
  }};
  static_assert(rtwire::detail::table_is_dense(entries));
};

}  // namespace detail

/// The category of ws::error; its name() is "rtwire.ws".
inline const std::error_category& error_category() noexcept {
  return category_for<detail::error_desc>();
}

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// The close code to send when the peer caused `e` (RFC 6455 §7.4.1): 1002 for protocol errors,
/// 1007 for invalid UTF-8, 1009 for size limits, 1008 for the fragment-count policy, 1006 (not
/// sent on the wire) for a transport that ended early, close_code::none for API misuse.
constexpr close_code close_code_for(error e) noexcept {
  switch (e) {
    case error::invalid_utf8:
    case error::invalid_close_reason:
    case error::bad_compressed_data:
      return close_code::invalid_payload;
    case error::frame_too_big:
    case error::message_too_big:
    case error::buffer_limit:
      return close_code::message_too_big;
    case error::too_many_fragments:
      return close_code::policy_violation;
    case error::unexpected_eof:
      return close_code::abnormal;
    case error::send_after_close:
    case error::invalid_argument:
    case error::message_in_progress:
    case error::missing_key_source:
    case error::input_pending:
    case error::prepared_for_client:
    case error::text_not_utf8:
    case error::compression_not_shareable:
      return close_code::none;
    default:
      return close_code::protocol_error;
  }
}

}  // namespace rtwire::ws

RTWIRE_REGISTER_ERROR_ENUM(rtwire::ws::error);

namespace rtwire::ws {

// ------------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------------

/// Why a handshake failed. HTTP syntax errors keep their rtwire::http1::error code; these are the
/// WebSocket rules on top of HTTP.
enum class handshake_error {
  // The client's request broke RFC 6455 §4.2.1 (the server answers 400 unless noted).
  method_not_get = 1,
  http_version_too_old,
  bad_request_target,
  missing_host,
  duplicate_host,
  missing_upgrade,
  missing_connection_upgrade,
  missing_key,
  duplicate_key,
  bad_key,
  missing_version,      // answered 426
  unsupported_version,  // answered 426
  duplicate_version,
  bad_protocol_list,
  bad_extension_list,
  too_many_protocols,
  too_many_extensions,
  // The server's response broke RFC 6455 §4.1 (the client fails the connection).
  response_version_not_http11,
  response_missing_upgrade,
  response_missing_connection_upgrade,
  missing_accept,
  duplicate_accept,
  accept_mismatch,
  unexpected_protocol,
  unexpected_extension,
  // The caller used the API wrongly.
  not_ready,
  protocol_not_offered,
  extension_not_offered,
  invalid_argument,
  // The server's permessage-deflate answer breaks RFC 7692 §7.1 (unknown, duplicate or invalid
  // parameter, a window larger than offered, an unsupported configuration): the client fails.
  bad_deflate_response,
};

namespace detail {

struct handshake_error_desc {
  static constexpr const char* name = "rtwire.ws.handshake";
  using e = handshake_error;
  using c = condition;
  static constexpr std::array<error_entry<handshake_error>, 30> entries{{
      {e::method_not_get, "the opening handshake must be a GET request", c::protocol_violation},
      {e::http_version_too_old, "the opening handshake needs HTTP/1.1 or higher",
       c::protocol_violation},
      {e::bad_request_target,
       "the request target is neither an absolute path nor an absolute http(s) URI",
       c::protocol_violation},
      {e::missing_host, "the request has no Host header field", c::protocol_violation},
      {e::duplicate_host, "the request has more than one Host header field", c::protocol_violation},
      {e::missing_upgrade, "the Upgrade header field does not contain \"websocket\"",
       c::protocol_violation},
      {e::missing_connection_upgrade, "the Connection header field does not contain \"Upgrade\"",
       c::protocol_violation},
      {e::missing_key, "the request has no Sec-WebSocket-Key header field", c::protocol_violation},
      {e::duplicate_key, "the request has more than one Sec-WebSocket-Key header field",
       c::protocol_violation},
      {e::bad_key, "Sec-WebSocket-Key is not the base64 encoding of exactly 16 bytes",
       c::protocol_violation},
      {e::missing_version, "the request has no Sec-WebSocket-Version header field",
       c::protocol_violation},
      {e::unsupported_version, "Sec-WebSocket-Version is not 13", c::protocol_violation},
      {e::duplicate_version, "the request has more than one Sec-WebSocket-Version header field",
       c::protocol_violation},
      {e::bad_protocol_list, "Sec-WebSocket-Protocol is not a list of unique tokens",
       c::protocol_violation},
      {e::bad_extension_list, "Sec-WebSocket-Extensions does not follow the RFC 6455 §9.1 grammar",
       c::protocol_violation},
      {e::too_many_protocols, "more subprotocols offered than the configured limit",
       c::limit_exceeded},
      {e::too_many_extensions, "more extensions or parameters than the configured limit",
       c::limit_exceeded},
      {e::response_version_not_http11, "the handshake response is not HTTP/1.1",
       c::protocol_violation},
      {e::response_missing_upgrade, "the 101 response's Upgrade header field is not \"websocket\"",
       c::protocol_violation},
      {e::response_missing_connection_upgrade,
       "the 101 response's Connection header field does not contain \"Upgrade\"",
       c::protocol_violation},
      {e::missing_accept, "the 101 response has no Sec-WebSocket-Accept header field",
       c::protocol_violation},
      {e::duplicate_accept, "the 101 response has more than one Sec-WebSocket-Accept header field",
       c::protocol_violation},
      {e::accept_mismatch, "Sec-WebSocket-Accept does not match the key that was sent",
       c::protocol_violation},
      {e::unexpected_protocol,
       "the server selected a subprotocol the client did not offer (or more than one)",
       c::protocol_violation},
      {e::unexpected_extension, "the server accepted an extension the client did not offer",
       c::protocol_violation},
      {e::not_ready, "the handshake is not in a state that allows this call", c::api_misuse},
      {e::protocol_not_offered, "the chosen subprotocol was not offered by the client",
       c::api_misuse},
      {e::extension_not_offered, "an accepted extension was not offered by the client",
       c::api_misuse},
      {e::invalid_argument, "an argument is not a valid header value, token or URI", c::api_misuse},
      {e::bad_deflate_response,
       "the server's permessage-deflate parameters break RFC 7692 §7.1 or what was offered",
       c::protocol_violation},
  }};
  static_assert(rtwire::detail::table_is_dense(entries));
};

}  // namespace detail

/// The category of ws::handshake_error; its name() is "rtwire.ws.handshake".
inline const std::error_category& handshake_error_category() noexcept {
  return category_for<detail::handshake_error_desc>();
}

inline std::error_code make_error_code(handshake_error e) noexcept {
  return {static_cast<int>(e), handshake_error_category()};
}

}  // namespace rtwire::ws

RTWIRE_REGISTER_ERROR_ENUM(rtwire::ws::handshake_error);
