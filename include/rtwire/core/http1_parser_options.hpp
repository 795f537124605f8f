// rtwire — the HTTP/1.1 head parser's options and limits, and what its feed() returns
// (parse_status, feed_result). The parser itself: rtwire/core/http1_parser.hpp.
#pragma once

#include <cstddef>

namespace rtwire::http1 {

/// Limits on one head; exceeding any is an error (condition::limit_exceeded) detected as soon as
/// the offending byte arrives.
struct limits {
  /// Start line + field lines + the final empty line, terminators included.
  std::size_t max_head_bytes = 8192;
  /// Field lines (an obs-fold continuation is part of its field, not a new one).
  std::size_t max_headers = 64;
  /// Any single line, without its CRLF (or LF).
  std::size_t max_line_bytes = 8192;
  /// Empty lines ignored before a request-line (RFC 9112 §2.2); requests only.
  std::size_t max_leading_empty_lines = 4;
};

/// Parser policy.
struct options {
  limits limit{};
  /// RFC 9112 §2.2: a recipient MAY accept a bare LF as a line terminator. Default: reject
  /// (error::bare_lf).
  bool allow_bare_lf = false;
  /// RFC 9112 §5.2: reject obs-fold (default, error::obs_fold), or replace each obs-fold with one
  /// SP (then the head is copied into the parser's internal buffer, as the replacement writes).
  bool allow_obs_fold = false;
};

enum class parse_status {
  /// The head is not complete; feed more bytes.
  need_more,
  /// The head is complete; head() is valid.
  done,
  /// The head is invalid or too large; error() says why and where.
  error,
};

struct feed_result {
  parse_status status;
  /// Bytes of the fed data that were used (see feed()).
  std::size_t consumed;
};

}  // namespace rtwire::http1
