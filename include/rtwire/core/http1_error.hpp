// rtwire — HTTP/1.1 head errors (category "rtwire.http1"), shared by the head parser
// (rtwire/core/http1_parser.hpp) and the head writer (rtwire/core/http1_writer.hpp), and the HTTP
// status a server answers for each parse error (status_for).
#pragma once

#include <array>
#include <system_error>

#include "rtwire/core/error.hpp"

namespace rtwire::http1 {

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Every way an HTTP/1.1 head can fail to parse or to be written; category "rtwire.http1".
/// Peer violations map to condition::protocol_violation, limits to condition::limit_exceeded and
/// invalid arguments given to the writer to condition::api_misuse.
enum class error {
  /// The head (start line + fields + final CRLF) is longer than limits::max_head_bytes.
  head_too_large = 1,
  /// The head has more than limits::max_headers field lines.
  too_many_headers,
  /// A line (without its CRLF) is longer than limits::max_line_bytes.
  line_too_long,
  /// The request method is empty or not a token (RFC 9112 §3.1, RFC 9110 §9.1).
  bad_method,
  /// The request-target is empty or contains SP, a control or a non-ASCII byte (RFC 9112 §3.2).
  bad_target,
  /// The HTTP-version is not exactly "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3).
  bad_version,
  /// A well-formed HTTP-version whose major version is not 1 (e.g. HTTP/2.0): answer 505.
  unsupported_version,
  /// The status-code is not three digits in 100..999 (RFC 9112 §4).
  bad_status,
  /// The reason-phrase contains a control character other than HTAB (RFC 9112 §4).
  bad_reason,
  /// A field name is empty, not a token, or the line has no colon (RFC 9112 §5, RFC 9110 §5.1).
  bad_header_name,
  /// Whitespace between a field name and the colon (RFC 9112 §5.1: MUST reject).
  whitespace_before_colon,
  /// A field value contains NUL or another control character other than HTAB (RFC 9110 §5.5).
  bad_header_value,
  /// A line ends with LF alone while options::allow_bare_lf is off (RFC 9112 §2.2).
  bare_lf,
  /// A field line starts with whitespace (obsolete line folding) while options::allow_obs_fold is
  /// off (RFC 9112 §5.2).
  obs_fold,
  /// Content-Length is not 1*DIGIT, overflows 64 bits, or its values disagree (RFC 9110 §8.6).
  bad_content_length,
  /// The peer closed the stream in the middle of a head (finish() was called).
  unexpected_end,
  /// More than limits::max_leading_empty_lines empty lines before the request-line.
  too_many_empty_lines,
  /// A CR that is not followed by LF (RFC 9112 §2.2: a bare CR is invalid).
  bare_cr,
  /// The first field line starts with whitespace (RFC 9112 §2.2: MUST reject or ignore).
  whitespace_after_start_line,
  /// Writer: the method is empty or not a token.
  invalid_method,
  /// Writer: the request-target is empty or contains SP, a control or a non-ASCII byte.
  invalid_target,
  /// Writer: the version is not 1.0..1.9.
  invalid_version,
  /// Writer: the status code is not in 100..999.
  invalid_status,
  /// Writer: the reason phrase contains a control character other than HTAB.
  invalid_reason,
  /// Writer: the field name is empty or not a token.
  invalid_field_name,
  /// Writer: the field value contains a control character other than HTAB (CR, LF, NUL, ...) or
  /// starts or ends with whitespace (RFC 9110 §5.5: a value has no leading/trailing whitespace).
  invalid_field_value,
  /// A request's Transfer-Encoding does not end with "chunked" (RFC 9112 §6.3 (4)).
  bad_transfer_encoding,
  /// A request carries both Transfer-Encoding and Content-Length (RFC 9112 §6.3 (3)).
  transfer_encoding_with_content_length,
};

}  // namespace rtwire::http1

RTWIRE_REGISTER_ERROR_ENUM(rtwire::http1::error);

namespace rtwire::http1 {
namespace detail {

struct error_desc {
  static constexpr const char* name = "rtwire.http1";
  static constexpr std::array<error_entry<error>, 28> entries{{
      {error::head_too_large, "request or response head too large", condition::limit_exceeded},
      {error::too_many_headers, "too many header fields", condition::limit_exceeded},
      {error::line_too_long, "header line too long", condition::limit_exceeded},
      {error::bad_method, "invalid request method", condition::protocol_violation},
      {error::bad_target, "invalid request-target", condition::protocol_violation},
      {error::bad_version, "invalid HTTP-version", condition::protocol_violation},
      {error::unsupported_version, "unsupported HTTP major version", condition::protocol_violation},
      {error::bad_status, "invalid status code", condition::protocol_violation},
      {error::bad_reason, "invalid reason phrase", condition::protocol_violation},
      {error::bad_header_name, "invalid header field name", condition::protocol_violation},
      {error::whitespace_before_colon, "whitespace between header field name and colon",
       condition::protocol_violation},
      {error::bad_header_value, "invalid character in header field value",
       condition::protocol_violation},
      {error::bare_lf, "line ends with a bare LF", condition::protocol_violation},
      {error::obs_fold, "obsolete line folding in header field", condition::protocol_violation},
      {error::bad_content_length, "invalid Content-Length", condition::protocol_violation},
      {error::unexpected_end, "stream ended inside a head", condition::protocol_violation},
      {error::too_many_empty_lines, "too many empty lines before the request-line",
       condition::limit_exceeded},
      {error::bare_cr, "CR not followed by LF", condition::protocol_violation},
      {error::whitespace_after_start_line, "whitespace before the first header field",
       condition::protocol_violation},
      {error::invalid_method, "method is not a token", condition::api_misuse},
      {error::invalid_target, "request-target is empty or contains SP, CTL or non-ASCII",
       condition::api_misuse},
      {error::invalid_version, "HTTP version is not 1.0 to 1.9", condition::api_misuse},
      {error::invalid_status, "status code is not in 100..999", condition::api_misuse},
      {error::invalid_reason, "reason phrase contains a control character", condition::api_misuse},
      {error::invalid_field_name, "field name is not a token", condition::api_misuse},
      {error::invalid_field_value,
       "field value contains a control character or leading/trailing whitespace",
       condition::api_misuse},
      {error::bad_transfer_encoding, "Transfer-Encoding does not end with chunked",
       condition::protocol_violation},
      {error::transfer_encoding_with_content_length,
       "both Transfer-Encoding and Content-Length are present", condition::protocol_violation},
  }};
};
static_assert(rtwire::detail::table_is_dense(error_desc::entries));

}  // namespace detail

/// The category of http1::error; its name() is "rtwire.http1".
inline const std::error_category& error_category() noexcept {
  return category_for<detail::error_desc>();
}

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// The HTTP status a server should answer for a request head that failed with `e`: 431 for
/// head_too_large, too_many_headers and line_too_long (RFC 6585 §5), 505 for
/// unsupported_version (RFC 9110 §15.6.6), 400 for every other error.
constexpr int status_for(error e) noexcept {
  switch (e) {
    case error::head_too_large:
    case error::too_many_headers:
    case error::line_too_long:
      return 431;
    case error::unsupported_version:
      return 505;
    default:
      return 400;
  }
}

/// status_for() of an http1 error code; 400 for any other error; 0 if `ec` holds no error.
inline int status_for(std::error_code ec) noexcept {
  if (!ec) return 0;
  if (ec.category() != error_category()) return 400;
  return status_for(static_cast<error>(ec.value()));
}

}  // namespace rtwire::http1
