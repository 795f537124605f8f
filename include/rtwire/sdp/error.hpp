// rtwire — SDP and ICE candidate errors (category "rtwire.sdp").
//
// Every value says which rule of RFC 8866 (SDP), RFC 8839 (ICE SDP attributes) or which
// configured limit was broken. A failed SDP parse also reports where: see sdp::parse_error.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <system_error>

#include "rtwire/core/error.hpp"

namespace rtwire::sdp {

/// Why an SDP description or an ICE candidate was rejected.
enum class error {
  // Limits (configurable through sdp::limits; see the defaults there).
  too_large = 1,
  too_many_lines,
  too_many_media,
  too_many_attributes,
  // Line structure (RFC 8866 §5).
  empty,
  bad_line_ending,
  missing_final_line_ending,
  forbidden_character,
  bad_line_syntax,
  unknown_line_type,
  unexpected_line,
  // Session-level fields (RFC 8866 §5.1 - §5.12).
  missing_version,
  bad_version,
  missing_origin,
  bad_origin,
  missing_session_name,
  bad_session_name,
  bad_text_field,
  bad_connection,
  missing_connection,
  bad_bandwidth,
  missing_timing,
  bad_timing,
  bad_repeat,
  bad_time_zones,
  bad_key,
  bad_attribute,
  // Media descriptions (RFC 8866 §5.14).
  bad_media,
  // ICE candidates (RFC 8839 §5.1).
  bad_candidate_prefix,
  bad_foundation,
  bad_component,
  bad_transport,
  bad_priority,
  bad_address,
  bad_port,
  missing_candidate_type,
  bad_candidate_type,
  bad_related_address,
  bad_related_port,
  bad_tcptype,
  bad_extension,
  too_many_extensions,
  trailing_whitespace,
};

namespace detail {

struct error_desc {
  static constexpr const char* name = "rtwire.sdp";
  using e = error;
  using c = condition;
  static constexpr std::array<error_entry<error>, 43> entries{{
      {e::too_large, "the SDP is larger than the configured maximum size", c::limit_exceeded},
      {e::too_many_lines, "the SDP has more lines than the configured maximum", c::limit_exceeded},
      {e::too_many_media, "the SDP has more media descriptions than the configured maximum",
       c::limit_exceeded},
      {e::too_many_attributes, "the SDP has more a= lines than the configured maximum",
       c::limit_exceeded},
      {e::empty, "the SDP is empty", c::protocol_violation},
      {e::bad_line_ending, "a line does not end with CRLF (strict mode)", c::protocol_violation},
      {e::missing_final_line_ending, "the last line has no line ending (strict mode)",
       c::protocol_violation},
      {e::forbidden_character, "a line contains NUL or a CR that does not end the line",
       c::protocol_violation},
      {e::bad_line_syntax, "a line is not of the form <type>=<value> with a one-letter type",
       c::protocol_violation},
      {e::unknown_line_type, "unknown line type (strict mode; lenient mode keeps the line)",
       c::protocol_violation},
      {e::unexpected_line, "this line type is not allowed here (wrong order or repeated)",
       c::protocol_violation},
      {e::missing_version, "the SDP does not start with a v= line", c::protocol_violation},
      {e::bad_version, "v= is not 0", c::protocol_violation},
      {e::missing_origin, "the second line is not an o= line", c::protocol_violation},
      {e::bad_origin,
       "o= is not <username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>",
       c::protocol_violation},
      {e::missing_session_name, "the third line is not an s= line", c::protocol_violation},
      {e::bad_session_name, "s= is empty (use \"s=-\" or \"s= \" when there is no name)",
       c::protocol_violation},
      {e::bad_text_field, "an i=, u=, e=, p= or unknown line has an empty value",
       c::protocol_violation},
      {e::bad_connection, "c= is not <nettype> <addrtype> <connection-address>",
       c::protocol_violation},
      {e::missing_connection,
       "a media description has no c= line and there is no session-level c= line",
       c::protocol_violation},
      {e::bad_bandwidth, "b= is not <bwtype>:<bandwidth>", c::protocol_violation},
      {e::missing_timing, "the session has no t= line", c::protocol_violation},
      {e::bad_timing, "t= is not <start-time> <stop-time>", c::protocol_violation},
      {e::bad_repeat, "r= is not <repeat-interval> <active-duration> <offsets>",
       c::protocol_violation},
      {e::bad_time_zones, "z= is not a list of <adjustment-time> <offset> pairs",
       c::protocol_violation},
      {e::bad_key, "k= is not prompt, clear:, base64: or uri: (or another key-type token)",
       c::protocol_violation},
      {e::bad_attribute, "a= is not <attribute-name>[:<attribute-value>] with a token name",
       c::protocol_violation},
      {e::bad_media, "m= is not <media> <port>[/<count>] <proto> <fmt> ...", c::protocol_violation},
      {e::bad_candidate_prefix,
       "the candidate does not start with \"candidate:\" (optionally after \"a=\")",
       c::protocol_violation},
      {e::bad_foundation, "the foundation is not 1 to 32 ice-chars", c::protocol_violation},
      {e::bad_component, "the component ID is not a number from 1 to 256", c::protocol_violation},
      {e::bad_transport, "the transport is not a token", c::protocol_violation},
      {e::bad_priority, "the priority is not a number from 1 to 2^31-1", c::protocol_violation},
      {e::bad_address, "the connection address is not an IPv4, IPv6 or FQDN address",
       c::protocol_violation},
      {e::bad_port, "the port is not a number from 0 to 65535", c::protocol_violation},
      {e::missing_candidate_type, "the candidate has no \"typ\" after the port",
       c::protocol_violation},
      {e::bad_candidate_type, "the candidate type is not a token", c::protocol_violation},
      {e::bad_related_address, "raddr is missing its address or the address is malformed",
       c::protocol_violation},
      {e::bad_related_port, "rport is missing its port or the port is malformed",
       c::protocol_violation},
      {e::bad_tcptype, "tcptype is not active, passive or so", c::protocol_violation},
      {e::bad_extension,
       "a candidate extension is not a <token> <value> pair, or repeats raddr/rport/tcptype",
       c::protocol_violation},
      {e::too_many_extensions, "the candidate has more extension pairs than it can hold",
       c::limit_exceeded},
      {e::trailing_whitespace,
       "the candidate ends with whitespace or a line ending (RFC 8839 §5.1 has none; lenient mode "
       "trims it)",
       c::protocol_violation},
  }};
  static_assert(rtwire::detail::table_is_dense(entries));
};

}  // namespace detail

/// The category of rtwire::sdp::error; its name() is "rtwire.sdp".
inline const std::error_category& error_category() noexcept {
  return category_for<detail::error_desc>();
}

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// A failed SDP parse: rtwire::error_at, the error type of every rtwire parser. `line` and
/// `column` are 1-based (`column` counts bytes from the start of the line) and `offset` is the
/// byte offset in the text; an empty input is line 1, column 1. Only a limit on the total size
/// has no position (line and column 0, offset npos). Converts to true when it holds an error.
using parse_error = rtwire::error_at;

}  // namespace rtwire::sdp

RTWIRE_REGISTER_ERROR_ENUM(rtwire::sdp::error);
