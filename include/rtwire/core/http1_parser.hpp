// rtwire — bounded, sans-IO HTTP/1.1 head parser (RFC 9112 §2–§5, RFC 9110 §5).
//
// Parses a request head (request-line + fields + empty line) or a response head (status-line +
// fields + empty line) from bytes fed in chunks of any size, and stops at the CRLF that ends the
// head: whatever follows (a body, WebSocket frames, the next request) is handed back to the caller
// untouched. It never reads a body; RFC 9112 §6 framing is the caller's (see
// header_list::content_length()).
//
//   rtwire::http1::request_parser parser;
//   auto r = parser.feed(bytes);
//   if (r.status == rtwire::http1::parse_status::done) {
//     const auto& head = parser.head();          // views: see feed() for their lifetime
//     std::string_view rest = bytes.substr(r.consumed);  // a body, frames, the next request
//   } else if (r.status == rtwire::http1::parse_status::error) {
//     int answer = rtwire::http1::status_for(parser.error().code);   // 400, 431 or 505
//   }
//
// Design: on x86-64, field lines that arrive complete are taken by one SSE2 pass each that finds
// the line's end, its colon and any byte a field may not hold, and checks the name 16 bytes at a
// time (core/detail/http1_line_scan.hpp). Every other line (the start-line, a line split across
// feeds, a line with an error) is found with memchr, resuming where the previous feed stopped
// (never rescanning), and validated once, as soon as it is complete, by table-driven loops; that
// path alone decides errors and their offsets. Limits are checked against stream positions as bytes
// arrive, so a 1 MB line fails after max_line_bytes, and the internal buffer never holds more than
// max_head_bytes. Errors, their offsets and the parsed head are the same for any split of the input
// (DESIGN.md §1.5).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "rtwire/core/ascii.hpp"
#include "rtwire/core/detail/http1_head_parser.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/core/http1_error.hpp"
#include "rtwire/core/http1_grammar.hpp"
#include "rtwire/core/http1_head.hpp"
#include "rtwire/core/http1_parser_options.hpp"

namespace rtwire::http1 {

/// Parses one HTTP/1.1 request head (RFC 9112 §3, §5). Usage: feed() until done or error, read
/// head(), hand data.substr(consumed) to the next layer, reset() for the next request. See
/// basic_head_parser (core/detail/http1_head_parser.hpp) for every member.
class request_parser : public basic_head_parser<request_head> {
 public:
  explicit request_parser(options opts = {}) : basic_head_parser(opts) {}
};

/// Parses one HTTP/1.1 response head (RFC 9112 §4, §5); same protocol as request_parser, with
/// head() returning a response_head. Leading empty lines are not ignored for responses.
class response_parser : public basic_head_parser<response_head> {
 public:
  explicit response_parser(options opts = {}) : basic_head_parser(opts) {}
};

}  // namespace rtwire::http1
