// HTTP/1.1 head parser: fixtures (input bytes next to the expected head, or the expected error and
// its offset), each run whole, byte by byte and split at every point, which must all agree.
#include <rtwire/core/http1.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "support/splits.hpp"

using namespace std::string_literals;
using namespace std::string_view_literals;
namespace http1 = rtwire::http1;
using http1::parse_status;

namespace {

std::string describe(const http1::request_head& h) {
  std::string s = std::string(h.method) + " " + std::string(h.target) + " HTTP/" +
                  std::to_string(h.version_major) + "." + std::to_string(h.version_minor) + "\n";
  for (const auto& f : h.headers.all())
    s += std::string(f.name) + ": [" + std::string(f.value) + "]\n";
  return s;
}

std::string describe(const http1::response_head& h) {
  std::string s = "HTTP/" + std::to_string(h.version_major) + "." +
                  std::to_string(h.version_minor) + " " + std::to_string(h.status) + " [" +
                  std::string(h.reason) + "]\n";
  for (const auto& f : h.headers.all())
    s += std::string(f.name) + ": [" + std::string(f.value) + "]\n";
  return s;
}

/// What one run produced: the status, the total bytes consumed, the error and the head.
struct outcome {
  parse_status status = parse_status::need_more;
  std::size_t consumed = 0;
  std::error_code code;
  std::size_t offset = rtwire::error_at::npos;
  std::string head;
};

/// Feeds `chunks` in order until the parser stops, checking the feed() contract on the way, then
/// finish()es a parser that still needs more (end of stream).
template <class Parser>
outcome run_chunks(const http1::options& opts, const std::vector<std::string_view>& chunks) {
  Parser parser(opts);
  outcome out;
  std::size_t before = 0;  // stream bytes in the chunks already fed
  for (const std::string_view chunk : chunks) {
    const auto r = parser.feed(chunk);
    REQUIRE(r.status == parser.status());
    if (r.status == parse_status::need_more) {
      REQUIRE(r.consumed == chunk.size());
      before += chunk.size();
      continue;
    }
    if (r.status == parse_status::error) {
      // consumed: the bytes of this chunk before the offending byte.
      const std::size_t off = parser.error().offset;
      REQUIRE(r.consumed == std::min(chunk.size(), off > before ? off - before : 0));
    }
    REQUIRE(r.consumed <= chunk.size());
    out.consumed = before + r.consumed;
    // Sticky: later feeds take nothing and report the same outcome.
    const auto again = parser.feed("GET / HTTP/1.1\r\n\r\n");
    REQUIRE(again.status == r.status);
    REQUIRE(again.consumed == 0);
    REQUIRE(parser.finish() == r.status);
    break;
  }
  if (parser.status() == parse_status::need_more) {
    out.consumed = before;
    parser.finish();
  }
  out.status = parser.status();
  out.code = parser.error().code;
  out.offset = parser.error().offset;
  if (out.status == parse_status::done) out.head = describe(parser.head());
  return out;
}

struct request_ok {
  std::string_view name;
  std::string input;
  std::size_t consumed;  // bytes up to and including the CRLF that ends the head
  http1::request_head head;
  http1::options opts = {};
};

struct response_ok {
  std::string_view name;
  std::string input;
  std::size_t consumed;
  http1::response_head head;
  http1::options opts = {};
};

struct bad_case {
  std::string_view name;
  std::string input;
  http1::error error;
  std::size_t offset;  // stream offset of the offending byte
  http1::options opts = {};
};

template <class Parser, class Head>
void expect_head(std::string_view input, const http1::options& opts, std::size_t consumed,
                 const Head& head) {
  for (const auto& split : rtwire::test::all_splits(input)) {
    INFO(split.label);
    const outcome got = run_chunks<Parser>(opts, split.chunks);
    REQUIRE(got.code == std::error_code{});
    REQUIRE(got.status == parse_status::done);
    REQUIRE(got.consumed == consumed);
    REQUIRE(got.head == describe(head));
  }
}

template <class Parser>
void expect_error(std::string_view input, const http1::options& opts, http1::error e,
                  std::size_t offset) {
  for (const auto& split : rtwire::test::all_splits(input)) {
    INFO(split.label);
    const outcome got = run_chunks<Parser>(opts, split.chunks);
    REQUIRE(got.status == parse_status::error);
    REQUIRE(got.code == e);
    REQUIRE(got.offset == offset);
  }
}

http1::options bare_lf() {
  http1::options o;
  o.allow_bare_lf = true;
  return o;
}

http1::options obs_fold() {
  http1::options o;
  o.allow_obs_fold = true;
  return o;
}

const std::string upgrade_request =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

// clang-format off
const std::vector<request_ok> request_fixtures = {
    {"minimal", "GET / HTTP/1.1\r\n\r\n", 18, {"GET", "/", 1, 1, {}}},
    {"RFC 6455 §1.3 opening handshake", upgrade_request, upgrade_request.size(),
     {"GET", "/chat", 1, 1,
      {{"Host", "server.example.com"}, {"Upgrade", "websocket"}, {"Connection", "Upgrade"},
       {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, {"Origin", "http://example.com"},
       {"Sec-WebSocket-Protocol", "chat, superchat"}, {"Sec-WebSocket-Version", "13"}}}},
    {"HTTP/1.0", "GET /a?b=c HTTP/1.0\r\nHost: x\r\n\r\n", 32,
     {"GET", "/a?b=c", 1, 0, {{"Host", "x"}}}},
    {"minor version 9 is HTTP/1.x", "GET / HTTP/1.9\r\n\r\n", 18, {"GET", "/", 1, 9, {}}},
    {"method and names are any token, case kept",
     "M-SEARCH * HTTP/1.1\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n", 49,
     {"M-SEARCH", "*", 1, 1, {{"!#$%&'*+-.^_`|~09azAZ", "v"}}}},
    {"absolute-form target with every VCHAR class",
     "get http://h:1/p;q?r=s&t=%20#~!$'()*+,@[] HTTP/1.1\r\n\r\n", 54,
     {"get", "http://h:1/p;q?r=s&t=%20#~!$'()*+,@[]", 1, 1, {}}},
    {"OWS around values is trimmed, inner whitespace kept",
     "GET / HTTP/1.1\r\nA:  \t a \t b \t \r\nB:x\r\nEmpty:\r\nBlank: \t \r\n\r\n", 58,
     {"GET", "/", 1, 1, {{"A", "a \t b"}, {"B", "x"}, {"Empty", ""}, {"Blank", ""}}}},
    {"obs-text and colons in values",
     "GET / HTTP/1.1\r\nX: caf\xc3\xa9 \xff\r\nHost: h:8080\r\n\r\n", 44,
     {"GET", "/", 1, 1, {{"X", "caf\xc3\xa9 \xff"}, {"Host", "h:8080"}}}},
    {"duplicate fields kept in order",
     "GET / HTTP/1.1\r\nA: 1\r\na: 2\r\nA: 3\r\n\r\n", 36,
     {"GET", "/", 1, 1, {{"A", "1"}, {"a", "2"}, {"A", "3"}}}},
    {"RFC 9112 §2.2: empty lines before the request-line are ignored",
     "\r\n\r\nGET / HTTP/1.1\r\n\r\n", 22, {"GET", "/", 1, 1, {}}},
    {"leading empty lines: exactly max_leading_empty_lines (4)",
     "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n", 26, {"GET", "/", 1, 1, {}}},
    {"bytes after the head are left to the caller",
     "POST /f HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 39,
     {"POST", "/f", 1, 1, {{"Content-Length", "5"}}}},
    {"pipelined: only the first head is consumed",
     "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", 19, {"GET", "/1", 1, 1, {}}},
    {"allow_bare_lf: LF-only lines",
     "GET / HTTP/1.1\nHost: x\nA: b \n\n", 30, {"GET", "/", 1, 1, {{"Host", "x"}, {"A", "b"}}},
     bare_lf()},
    {"allow_bare_lf: mixed CRLF and LF, leading bare LF ignored",
     "\n\r\nGET / HTTP/1.1\r\nHost: x\n\r\nrest", 29, {"GET", "/", 1, 1, {{"Host", "x"}}},
     bare_lf()},
    {"allow_obs_fold: each OWS CRLF RWS becomes one SP",
     "GET / HTTP/1.1\r\nX: a \r\n b\r\n\t \tc  \r\nY: z\r\n\r\n", 43,
     {"GET", "/", 1, 1, {{"X", "a b c"}, {"Y", "z"}}}, obs_fold()},
    {"allow_obs_fold: fold after an empty value, whitespace-only continuation",
     "GET / HTTP/1.1\r\nX:\r\n  b\r\nY: c\r\n \t\r\nZ: d\r\n\r\n", 43,
     {"GET", "/", 1, 1, {{"X", "b"}, {"Y", "c"}, {"Z", "d"}}}, obs_fold()},
    {"allow_obs_fold with bare LF",
     "GET / HTTP/1.1\nX: a\n b\n\n", 24, {"GET", "/", 1, 1, {{"X", "a b"}}},
     {{}, true, true}},
};

const std::vector<bad_case> request_errors = {
    // RFC 9112 §3.1: method = token.
    {"empty method", " / HTTP/1.1\r\n\r\n", http1::error::bad_method, 0},
    {"method with a non-token byte", "GE(T / HTTP/1.1\r\n\r\n", http1::error::bad_method, 2},
    {"HTAB after the method", "GET\t/ HTTP/1.1\r\n\r\n", http1::error::bad_method, 3},
    {"method alone", "GET\r\n\r\n", http1::error::bad_method, 3},
    // RFC 9112 §3.2: request-target.
    {"two SP: empty target", "GET  / HTTP/1.1\r\n\r\n", http1::error::bad_target, 4},
    {"control in target", "GET /a\x01" "b HTTP/1.1\r\n\r\n", http1::error::bad_target, 6},
    {"DEL in target", "GET /\x7f HTTP/1.1\r\n\r\n", http1::error::bad_target, 5},
    {"non-ASCII in target", "GET /\xc3\xa9 HTTP/1.1\r\n\r\n", http1::error::bad_target, 5},
    {"HTAB in target", "GET /a\tb HTTP/1.1\r\n\r\n", http1::error::bad_target, 6},
    // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive.
    {"no version (HTTP/0.9 style)", "GET /\r\n\r\n", http1::error::bad_version, 5},
    {"lowercase HTTP-name", "GET / http/1.1\r\n\r\n", http1::error::bad_version, 6},
    {"SP after the version", "GET / HTTP/1.1 \r\n\r\n", http1::error::bad_version, 14},
    {"two-digit major", "GET / HTTP/11.1\r\n\r\n", http1::error::bad_version, 12},
    {"letter for minor", "GET / HTTP/1.x\r\n\r\n", http1::error::bad_version, 13},
    {"truncated version", "GET / HTTP/1.\r\n\r\n", http1::error::bad_version, 13},
    {"two-digit minor", "GET / HTTP/1.10\r\n\r\n", http1::error::bad_version, 14},
    {"HTTP/2.0 is unsupported (505)", "GET / HTTP/2.0\r\n\r\n", http1::error::unsupported_version, 6},
    {"HTTP/0.9 is unsupported (505)", "GET / HTTP/0.9\r\n\r\n", http1::error::unsupported_version, 6},
    // RFC 9112 §5 / RFC 9110 §5.1: field-name = token, then ":".
    {"RFC 9112 §5.1: SP before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
     http1::error::whitespace_before_colon, 20},
    {"RFC 9112 §5.1: HTAB before colon", "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n",
     http1::error::whitespace_before_colon, 20},
    {"field line without colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", http1::error::bad_header_name, 20},
    {"empty field name", "GET / HTTP/1.1\r\n: x\r\n\r\n", http1::error::bad_header_name, 16},
    {"non-token byte in name", "GET / HTTP/1.1\r\nHo@st: x\r\n\r\n", http1::error::bad_header_name, 18},
    {"obs-text in name", "GET / HTTP/1.1\r\nX\x80: y\r\n\r\n", http1::error::bad_header_name, 17},
    // RFC 9110 §5.5: no CTL other than HTAB in a value; NUL MUST be rejected or replaced.
    {"NUL in value", "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"s, http1::error::bad_header_value, 20},
    {"DEL in value", "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", http1::error::bad_header_value, 20},
    {"control in value", "GET / HTTP/1.1\r\nX: \x1f\r\n\r\n", http1::error::bad_header_value, 19},
    // RFC 9112 §2.2: bare CR is invalid; bare LF rejected by default.
    {"bare CR in value", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", http1::error::bare_cr, 20},
    {"bare CR in target", "GET /\r HTTP/1.1\r\n\r\n", http1::error::bare_cr, 5},
    {"bare CR as the final line", "GET / HTTP/1.1\r\n\r\r\n", http1::error::bare_cr, 16},
    {"bare CR before the request-line", "\rGET / HTTP/1.1\r\n\r\n", http1::error::bare_cr, 0},
    {"bare LF ends the request-line", "GET / HTTP/1.1\nHost: x\r\n\r\n", http1::error::bare_lf, 14},
    {"bare LF ends a field line", "GET / HTTP/1.1\r\nHost: x\n\r\n", http1::error::bare_lf, 23},
    {"bare LF ends the head", "GET / HTTP/1.1\r\nHost: x\r\n\n", http1::error::bare_lf, 25},
    {"bare LF before the request-line", "\nGET / HTTP/1.1\r\n\r\n", http1::error::bare_lf, 0},
    {"a bad value is reported before the bare LF after it",
     "GET / HTTP/1.1\r\nX: \x01\n\r\n", http1::error::bad_header_value, 19},
    // RFC 9112 §5.2 and §2.2: line folding.
    {"obs-fold rejected by default", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", http1::error::obs_fold, 22},
    {"whitespace before the first field", "GET / HTTP/1.1\r\n X: a\r\n\r\n",
     http1::error::whitespace_after_start_line, 16},
    {"whitespace before the first field, even with allow_obs_fold",
     "GET / HTTP/1.1\r\n\tX: a\r\n\r\n", http1::error::whitespace_after_start_line, 16, obs_fold()},
    {"allow_obs_fold: continuation still validated", "GET / HTTP/1.1\r\nX: a\r\n b\x01\r\n\r\n",
     http1::error::bad_header_value, 24, obs_fold()},
    // Limits and the end of the stream.
    {"5 empty lines before the request-line (max 4)", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n",
     http1::error::too_many_empty_lines, 8},
    {"stream ends inside the head", "GET / HTTP/1.1\r\nHost: x\r\n", http1::error::unexpected_end, 25},
    {"stream ends inside the request-line", "GET /", http1::error::unexpected_end, 5},
    {"stream ends after a CR of an ignored empty line", "\r\n\r", http1::error::unexpected_end, 3},
};

const std::vector<response_ok> response_fixtures = {
    {"RFC 6455 §1.3 handshake response",
     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nframes",
     129,
     {1, 1, 101, "Switching Protocols",
      {{"Upgrade", "websocket"}, {"Connection", "Upgrade"},
       {"Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}}}},
    {"101 with an empty reason", "HTTP/1.1 101 \r\n\r\n", 17, {1, 1, 101, "", {}}},
    {"no SP before an empty reason (tolerated)", "HTTP/1.1 204\r\n\r\n", 16, {1, 1, 204, "", {}}},
    {"HTTP/1.0 and a reason with HTAB, SP and obs-text",
     "HTTP/1.0 404 \tNot  Found \xff\r\nA: b\r\n\r\n", 36, {1, 0, 404, "\tNot  Found \xff", {{"A", "b"}}}},
    {"status 999", "HTTP/1.1 999 X\r\n\r\n", 18, {1, 1, 999, "X", {}}},
    {"allow_bare_lf and allow_obs_fold apply to responses",
     "HTTP/1.1 200 OK\nA: 1\n 2\n\n", 25, {1, 1, 200, "OK", {{"A", "1 2"}}}, {{}, true, true}},
    {"status 100", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", 25, {1, 1, 100, "Continue", {}}},
};

const std::vector<bad_case> response_errors = {
    {"two-digit status", "HTTP/1.1 20 OK\r\n\r\n", http1::error::bad_status, 11},
    {"four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", http1::error::bad_status, 12},
    {"status below 100", "HTTP/1.1 099 X\r\n\r\n", http1::error::bad_status, 9},
    {"letter in status", "HTTP/1.1 2x0 OK\r\n\r\n", http1::error::bad_status, 10},
    {"no status", "HTTP/1.1\r\n\r\n", http1::error::bad_status, 8},
    {"two SP before status", "HTTP/1.1  200 OK\r\n\r\n", http1::error::bad_status, 9},
    {"status line cut after the code's first digits", "HTTP/1.1 20\r\n\r\n", http1::error::bad_status, 11},
    {"control in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", http1::error::bad_reason, 14},
    {"DEL in reason", "HTTP/1.1 200 OK\x7f\r\n\r\n", http1::error::bad_reason, 15},
    {"bare CR in reason", "HTTP/1.1 200 O\rK\r\n\r\n", http1::error::bare_cr, 14},
    {"HTTP/2 without minor", "HTTP/2 200 OK\r\n\r\n", http1::error::bad_version, 6},
    {"HTTP/2.0 response", "HTTP/2.0 200 OK\r\n\r\n", http1::error::unsupported_version, 0},
    {"lowercase version", "http/1.1 200 OK\r\n\r\n", http1::error::bad_version, 0},
    {"HTAB after version", "HTTP/1.1\t200 OK\r\n\r\n", http1::error::bad_version, 8},
    {"empty lines are not skipped before a status-line", "\r\nHTTP/1.1 200 OK\r\n\r\n",
     http1::error::bad_version, 0},
    {"bad field after a good status line", "HTTP/1.1 200 OK\r\nX : y\r\n\r\n",
     http1::error::whitespace_before_colon, 18},
    {"stream ends inside the head", "HTTP/1.1 200 OK\r\n", http1::error::unexpected_end, 17},
    {"limits apply to responses", "HTTP/1.1 200 OK\r\nA: b\r\n\r\n", http1::error::head_too_large, 20,
     {{20, 64, 8192, 4}}},
    {"bare LF rejected in responses by default", "HTTP/1.1 200 OK\n\n", http1::error::bare_lf, 15},
};
// clang-format on

}  // namespace

TEST_CASE("http1 request fixtures parse identically at every split", "[http1][parser]") {
  for (const auto& f : request_fixtures) {
    INFO(f.name);
    expect_head<http1::request_parser>(f.input, f.opts, f.consumed, f.head);
  }
}

TEST_CASE("http1 request errors: value and offset at every split", "[http1][parser]") {
  for (const auto& f : request_errors) {
    INFO(f.name);
    expect_error<http1::request_parser>(f.input, f.opts, f.error, f.offset);
  }
}

TEST_CASE("http1 response fixtures parse identically at every split", "[http1][parser]") {
  for (const auto& f : response_fixtures) {
    INFO(f.name);
    expect_head<http1::response_parser>(f.input, f.opts, f.consumed, f.head);
  }
}

TEST_CASE("http1 response errors: value and offset at every split", "[http1][parser]") {
  for (const auto& f : response_errors) {
    INFO(f.name);
    expect_error<http1::response_parser>(f.input, f.opts, f.error, f.offset);
  }
}

TEST_CASE("http1 limits: exactly at the limit passes, one past fails", "[http1][parser][limits]") {
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\nA: 0123456789abcdef\r\n\r\n";  // 48 bytes
  REQUIRE(head.size() == 48);
  const http1::request_head parsed{"GET", "/", 1, 1, {{"Host", "x"}, {"A", "0123456789abcdef"}}};

  SECTION("max_head_bytes") {
    http1::options o;
    o.limit.max_head_bytes = 48;
    expect_head<http1::request_parser>(head, o, 48, parsed);
    expect_head<http1::request_parser>(head + "body", o, 48, parsed);
    // Ignored empty lines are not part of the head.
    expect_head<http1::request_parser>("\r\n" + head, o, 50, parsed);
    o.limit.max_head_bytes = 47;
    // The 48th byte exceeds the limit: it must arrive before the head is rejected.
    expect_error<http1::request_parser>(head, o, http1::error::head_too_large, 47);
    expect_error<http1::request_parser>("\r\n" + head, o, http1::error::head_too_large, 49);
    expect_error<http1::request_parser>(head.substr(0, 47), o, http1::error::unexpected_end, 47);
  }
  SECTION("max_headers") {
    http1::options o;
    o.limit.max_headers = 2;
    expect_head<http1::request_parser>(head, o, 48, parsed);
    o.limit.max_headers = 1;
    expect_error<http1::request_parser>(head, o, http1::error::too_many_headers, 25);
    o.limit.max_headers = 0;
    expect_head<http1::request_parser>("GET / HTTP/1.1\r\n\r\n", o, 18,
                                       http1::request_head{"GET", "/", 1, 1, {}});
    expect_error<http1::request_parser>(head, o, http1::error::too_many_headers, 16);
  }
  SECTION("max_headers: an obs-fold continuation is not a new field") {
    http1::options o = obs_fold();
    o.limit.max_headers = 1;
    expect_head<http1::request_parser>("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", o, 28,
                                       http1::request_head{"GET", "/", 1, 1, {{"X", "a b"}}});
  }
  SECTION("max_line_bytes on a field line (content without CRLF)") {
    http1::options o;
    o.limit.max_line_bytes = 19;  // "A: 0123456789abcdef"
    expect_head<http1::request_parser>(head, o, 48, parsed);
    o.limit.max_line_bytes = 18;
    expect_error<http1::request_parser>(head, o, http1::error::line_too_long, 25 + 18);
  }
  SECTION("max_line_bytes on the request-line") {
    http1::options o;
    o.limit.max_line_bytes = 14;  // "GET / HTTP/1.1"
    const std::string small = "GET / HTTP/1.1\r\nA: b\r\n\r\n";
    expect_head<http1::request_parser>(small, o, small.size(),
                                       http1::request_head{"GET", "/", 1, 1, {{"A", "b"}}});
    o.limit.max_line_bytes = 13;
    expect_error<http1::request_parser>(small, o, http1::error::line_too_long, 13);
  }
  SECTION("max_line_bytes with bare LF terminators") {
    http1::options o = bare_lf();
    o.limit.max_line_bytes = 14;
    const std::string small = "GET / HTTP/1.1\nA: b\n\n";
    expect_head<http1::request_parser>(small, o, small.size(),
                                       http1::request_head{"GET", "/", 1, 1, {{"A", "b"}}});
    o.limit.max_line_bytes = 13;
    expect_error<http1::request_parser>(small, o, http1::error::line_too_long, 13);
  }
  SECTION("max_line_bytes: a CR just past the limit is a terminator only if LF follows") {
    http1::options o;
    o.limit.max_line_bytes = 14;
    const std::string at_limit = "GET / HTTP/1.1\r\nAB: 0123456789\r\n\r\n";
    expect_head<http1::request_parser>(
        at_limit, o, at_limit.size(),
        http1::request_head{"GET", "/", 1, 1, {{"AB", "0123456789"}}});
    expect_error<http1::request_parser>("GET / HTTP/1.1\r\nAB: 01234567890\r\n\r\n", o,
                                        http1::error::line_too_long, 30);
    // Byte 14 of the line is a CR, but no LF follows: 16 content bytes, too long (not bare CR).
    expect_error<http1::request_parser>("GET / HTTP/1.1\r\nAB: 0123456789\rX\r\n\r\n", o,
                                        http1::error::line_too_long, 30);
  }
  SECTION("max_leading_empty_lines") {
    http1::options o;
    o.limit.max_leading_empty_lines = 1;
    expect_head<http1::request_parser>("\r\n" + head, o, 50, parsed);
    expect_error<http1::request_parser>("\r\n\r\n" + head, o, http1::error::too_many_empty_lines,
                                        2);
    o.limit.max_leading_empty_lines = 0;
    expect_error<http1::request_parser>("\r\n" + head, o, http1::error::too_many_empty_lines, 0);
  }
}

TEST_CASE("http1 limits are enforced before the end of the head", "[http1][parser][limits]") {
  SECTION("a 1 MB field line fails at max_line_bytes, after a few 4 KB chunks") {
    const std::string chunk(4096, 'a');
    http1::options o;
    o.limit.max_head_bytes = 2 << 20;  // only the line limit applies
    http1::request_parser parser(o);
    REQUIRE(parser.feed("GET / HTTP/1.1\r\nX: ").status == parse_status::need_more);
    std::size_t feeds = 0;
    http1::feed_result r{parse_status::need_more, 0};
    while (r.status == parse_status::need_more && feeds < 256) {  // 256 * 4 KB = 1 MB
      r = parser.feed(chunk);
      ++feeds;
    }
    REQUIRE(r.status == parse_status::error);
    REQUIRE(parser.error().code == http1::error::line_too_long);
    REQUIRE(parser.error().offset == 16 + 8192);  // the line starts at 16
    // 19 + 2 * 4096 bytes reach stream offset 8208: the second chunk holds the offending byte.
    REQUIRE(feeds == 2);
    REQUIRE(r.consumed == std::size_t{16 + 8192 - 19 - 4096});
  }
  SECTION("a head of many short lines fails at max_head_bytes") {
    http1::options o;
    o.limit.max_headers = 1'000'000;
    http1::request_parser parser(o);
    std::string many = "GET / HTTP/1.1\r\n";
    while (many.size() < 1'000'000)
      many += "X: y\r\n";
    const auto r = parser.feed(many);
    REQUIRE(r.status == parse_status::error);
    REQUIRE(parser.error().code == http1::error::head_too_large);
    REQUIRE(parser.error().offset == 8192);
    REQUIRE(r.consumed == 8192);
  }
  SECTION("the field count is bounded by max_headers (default 64)") {
    std::string many = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 64; ++i)
      many += "X: y\r\n";
    const std::size_t sixty_fifth = many.size();
    http1::request_parser ok;
    REQUIRE(ok.feed(many + "\r\n").status == parse_status::done);
    REQUIRE(ok.head().headers.size() == 64);
    http1::request_parser parser;
    REQUIRE(parser.feed(many + "X: y\r\n\r\n").status == parse_status::error);
    REQUIRE(parser.error().code == http1::error::too_many_headers);
    REQUIRE(parser.error().offset == sixty_fifth);
  }
}

namespace {

bool points_into(std::string_view view, std::string_view buffer) {
  const auto* b = buffer.data();
  return std::less_equal<>{}(b, view.data()) &&
         std::less_equal<>{}(view.data() + view.size(), b + buffer.size());
}

bool all_views_in(const http1::request_head& h, std::string_view buffer) {
  bool all = points_into(h.method, buffer) && points_into(h.target, buffer);
  for (const auto& f : h.headers.all())
    all = all && points_into(f.name, buffer) && points_into(f.value, buffer);
  return all;
}

bool no_view_in(const http1::request_head& h, std::string_view buffer) {
  bool none = !points_into(h.method, buffer) && !points_into(h.target, buffer);
  for (const auto& f : h.headers.all())
    none = none && !points_into(f.name, buffer) && !points_into(f.value, buffer);
  return none;
}

}  // namespace

TEST_CASE("http1 zero copy: views point into the input when the head arrives whole",
          "[http1][parser]") {
  SECTION("whole: views into the caller's bytes") {
    http1::request_parser parser;
    REQUIRE(parser.feed(upgrade_request).status == parse_status::done);
    REQUIRE(all_views_in(parser.head(), upgrade_request));
  }
  SECTION("after ignored empty lines, still zero copy") {
    const std::string input = "\r\n" + upgrade_request;
    http1::request_parser parser;
    REQUIRE(parser.feed(input).status == parse_status::done);
    REQUIRE(all_views_in(parser.head(), input));
  }
  SECTION("split: views into the parser's buffer, valid after the input is gone") {
    http1::request_parser parser;
    {
      std::string first = upgrade_request.substr(0, 40);
      std::string second = upgrade_request.substr(40);
      REQUIRE(parser.feed(first).status == parse_status::need_more);
      REQUIRE(parser.feed(second).status == parse_status::done);
      REQUIRE(no_view_in(parser.head(), first));
      REQUIRE(no_view_in(parser.head(), second));
      std::fill(first.begin(), first.end(), '#');
      std::fill(second.begin(), second.end(), '#');
    }
    REQUIRE(parser.head().target == "/chat");
    REQUIRE(parser.head().headers.find("sec-websocket-key") == "dGhlIHNhbXBsZSBub25jZQ==");
  }
  SECTION("obs-fold rewriting copies the head and leaves the input untouched") {
    const std::string input = "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n";
    const std::string copy = input;
    http1::request_parser parser(obs_fold());
    REQUIRE(parser.feed(input).status == parse_status::done);
    REQUIRE(parser.head().headers.find("x") == "a b");
    REQUIRE(no_view_in(parser.head(), input));
    REQUIRE(input == copy);
  }
}

TEST_CASE("http1 leftover bytes and reuse with reset()", "[http1][parser]") {
  SECTION("the head ends in a later chunk that also carries the body") {
    http1::request_parser parser;
    REQUIRE(parser.feed("GET / HTTP/1.1\r\nHo").status == parse_status::need_more);
    const std::string_view second = "st: x\r\n\r\nLEFT";
    const auto r = parser.feed(second);
    REQUIRE(r.status == parse_status::done);
    REQUIRE(second.substr(r.consumed) == "LEFT");
    REQUIRE(parser.head().headers.find("Host") == "x");
  }
  SECTION("the final CRLF is split from the rest") {
    http1::request_parser parser;
    REQUIRE(parser.feed("GET / HTTP/1.1\r\n\r").status == parse_status::need_more);
    const auto r = parser.feed("\nWS");
    REQUIRE(r.status == parse_status::done);
    REQUIRE(r.consumed == 1);
  }
  SECTION("pipelined requests: feed the leftover after reset()") {
    const std::string_view input = "GET /1 HTTP/1.1\r\nA: 1\r\n\r\nGET /2 HTTP/1.0\r\nB: 2\r\n\r\n";
    http1::request_parser parser;
    auto r = parser.feed(input);
    REQUIRE(r.status == parse_status::done);
    REQUIRE(parser.head().target == "/1");
    REQUIRE(parser.head().headers.find("a") == "1");
    const std::string_view rest = input.substr(r.consumed);
    parser.reset();
    REQUIRE(parser.status() == parse_status::need_more);
    REQUIRE(parser.head().headers.size() == 0);
    r = parser.feed(rest);
    REQUIRE(r.status == parse_status::done);
    REQUIRE(r.consumed == rest.size());
    REQUIRE(parser.head().target == "/2");
    REQUIRE(parser.head().version_minor == 0);
    REQUIRE(parser.head().headers.find("a") == std::nullopt);
    REQUIRE(parser.head().headers.find("b") == "2");
  }
  SECTION("reset() after an error clears it and restarts offsets") {
    http1::request_parser parser;
    REQUIRE(parser.feed("BAD LINE\r\n").status == parse_status::error);
    parser.reset();
    REQUIRE(!parser.error());
    REQUIRE(parser.feed("GET / HTTP/1.1\r\n\r\n").status == parse_status::done);
    parser.reset();
    REQUIRE(parser.feed("GET / HTTP/1.1\r\nX : y\r\n\r\n").status == parse_status::error);
    REQUIRE(parser.error().offset == 17);
  }
  SECTION("a response parser is reused after a 100 Continue") {
    const std::string_view input = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nA: b\r\n\r\n";
    http1::response_parser parser;
    auto r = parser.feed(input);
    REQUIRE(r.status == parse_status::done);
    REQUIRE(parser.head().status == 100);
    parser.reset();
    r = parser.feed(input.substr(r.consumed));
    REQUIRE(r.status == parse_status::done);
    REQUIRE(parser.head().status == 200);
    REQUIRE(parser.head().reason == "OK");
  }
}

TEST_CASE("http1 finish(): end of stream", "[http1][parser]") {
  SECTION("nothing fed: a clean end, no message") {
    http1::request_parser request;
    REQUIRE(request.finish() == parse_status::need_more);
    REQUIRE(!request.error());
    http1::response_parser response;
    REQUIRE(response.finish() == parse_status::need_more);
    REQUIRE(response.feed("").status == parse_status::need_more);
    REQUIRE(response.finish() == parse_status::need_more);
  }
  SECTION("only ignored empty lines: a clean end") {
    http1::request_parser parser;
    REQUIRE(parser.feed("\r\n\r\n").status == parse_status::need_more);
    REQUIRE(parser.finish() == parse_status::need_more);
  }
  SECTION("after done, finish() keeps done") {
    http1::request_parser parser;
    REQUIRE(parser.feed("GET / HTTP/1.1\r\n\r\n").status == parse_status::done);
    REQUIRE(parser.finish() == parse_status::done);
  }
}

TEST_CASE("http1 header_list lookups and token lists", "[http1][headers]") {
  const http1::header_list h{{"Connection", "keep-alive, Upgrade"},
                             {"Upgrade", "websocket"},
                             {"connection", " , ,close,\t"},
                             {"Ext", "a; q=\"x,y\", b"},
                             {"Ext", "\"unterminated, c"}};
  REQUIRE(h.size() == 5);
  REQUIRE(h.all()[1].name == "Upgrade");
  REQUIRE(h.find("CONNECTION") == "keep-alive, Upgrade");
  REQUIRE(h.find("missing") == std::nullopt);
  REQUIRE(h.count("connection") == 2);
  REQUIRE(h.count("upgrade") == 1);
  REQUIRE(h.count("nope") == 0);

  REQUIRE(h.has_token("connection", "upgrade"));
  REQUIRE(h.has_token("Connection", "KEEP-ALIVE"));
  REQUIRE(h.has_token("connection", "close"));  // in the second Connection field
  REQUIRE(!h.has_token("connection", "keep"));  // whole elements only
  REQUIRE(!h.has_token("connection", ""));      // empty elements are not elements
  REQUIRE(!h.has_token("upgrade", "upgrade"));
  REQUIRE(!h.has_token("missing", "x"));

  std::vector<std::string> seen;
  REQUIRE(h.for_each_element("connection", [&](std::string_view e) { seen.emplace_back(e); }));
  REQUIRE(seen == std::vector<std::string>{"keep-alive", "Upgrade", "close"});

  // RFC 9110 §5.6.4: commas inside quoted-strings do not split.
  seen.clear();
  REQUIRE(h.for_each_element("ext", [&](std::string_view e) { seen.emplace_back(e); }));
  REQUIRE(seen == std::vector<std::string>{"a; q=\"x,y\"", "b", "\"unterminated, c"});

  // Stopping early.
  seen.clear();
  REQUIRE(!h.for_each_element("connection", [&](std::string_view e) {
    seen.emplace_back(e);
    return e != "Upgrade";
  }));
  REQUIRE(seen == std::vector<std::string>{"keep-alive", "Upgrade"});

  const http1::header_list escaped{{"X", R"("a\"b,c", d)"}};
  seen.clear();
  escaped.for_each_element("x", [&](std::string_view e) { seen.emplace_back(e); });
  REQUIRE(seen == std::vector<std::string>{R"("a\"b,c")", "d"});
}

TEST_CASE("http1 header_list from a parsed head", "[http1][headers]") {
  http1::request_parser parser;
  REQUIRE(parser.feed(upgrade_request).status == parse_status::done);
  const auto& h = parser.head().headers;
  REQUIRE(h.has_token("connection", "upgrade"));
  REQUIRE(h.has_token("sec-websocket-protocol", "superchat"));
  REQUIRE(h.find("sec-websocket-version") == "13");
  REQUIRE(!h.content_length().present);
}

TEST_CASE("http1 Content-Length is strict (RFC 9110 §8.6)", "[http1][headers]") {
  using hl = http1::header_list;
  const auto ok = [](const hl& h, std::uint64_t v) {
    const auto r = h.content_length();
    return r.present && r.value == v && !r.ec;
  };
  const auto bad = [](const hl& h) {
    const auto r = h.content_length();
    return r.present && r.value == 0 && r.ec == http1::error::bad_content_length;
  };
  const auto absent = hl{{"Host", "x"}}.content_length();
  REQUIRE(!absent.present);
  REQUIRE(absent.value == 0);
  REQUIRE(!absent.ec);

  REQUIRE(ok(hl{{"Content-Length", "42"}}, 42));
  REQUIRE(ok(hl{{"content-length", "0"}}, 0));
  REQUIRE(ok(hl{{"Content-Length", "007"}}, 7));
  REQUIRE(ok(hl{{"Content-Length", "42, 42"}, {"CONTENT-LENGTH", "42"}}, 42));
  REQUIRE(ok(hl{{"Content-Length", "18446744073709551615"}}, UINT64_MAX));
  REQUIRE(bad(hl{{"Content-Length", "18446744073709551616"}}));  // 2^64
  REQUIRE(bad(hl{{"Content-Length", "99999999999999999999"}}));
  REQUIRE(bad(hl{{"Content-Length", "42"}, {"Content-Length", "43"}}));
  REQUIRE(bad(hl{{"Content-Length", "42, 43"}}));
  REQUIRE(bad(hl{{"Content-Length", ""}}));
  REQUIRE(bad(hl{{"Content-Length", "42,"}}));
  REQUIRE(bad(hl{{"Content-Length", "+42"}}));
  REQUIRE(bad(hl{{"Content-Length", "-1"}}));
  REQUIRE(bad(hl{{"Content-Length", "4 2"}}));
  REQUIRE(bad(hl{{"Content-Length", "0x10"}}));
}

TEST_CASE("http1 request body framing follows RFC 9112 §6.3", "[http1][headers]") {
  using hl = http1::header_list;
  using http1::body_kind;
  const auto framing = [](const hl& h) { return h.request_body(); };
  // (6) neither field: no body.
  CHECK(framing(hl{{"Host", "a"}}).kind == body_kind::none);
  CHECK_FALSE(framing(hl{{"Host", "a"}}).ec);
  // (5) Content-Length alone.
  const auto cl = framing(hl{{"Content-Length", "42"}});
  CHECK(cl.kind == body_kind::content_length);
  CHECK(cl.length == 42);
  CHECK_FALSE(cl.ec);
  CHECK(framing(hl{{"Content-Length", "4x"}}).ec == http1::error::bad_content_length);
  // (4) chunked must be the final coding, case-insensitive, across fields and list elements.
  CHECK(framing(hl{{"Transfer-Encoding", "chunked"}}).kind == body_kind::chunked);
  CHECK(framing(hl{{"Transfer-Encoding", "gzip, CHUNKED"}}).kind == body_kind::chunked);
  CHECK(framing(hl{{"Transfer-Encoding", "gzip"}, {"transfer-encoding", "chunked"}}).kind ==
        body_kind::chunked);
  CHECK(framing(hl{{"Transfer-Encoding", "chunked, gzip"}}).ec ==
        http1::error::bad_transfer_encoding);
  CHECK(framing(hl{{"Transfer-Encoding", "gzip"}}).ec == http1::error::bad_transfer_encoding);
  CHECK(framing(hl{{"Transfer-Encoding", ""}}).ec == http1::error::bad_transfer_encoding);
  // (3) both: an error (request smuggling), whatever the values.
  const auto both = framing(hl{{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}});
  CHECK(both.ec == http1::error::transfer_encoding_with_content_length);
  CHECK(both.kind == body_kind::none);
  CHECK(http1::status_for(both.ec) == 400);
  // From a parsed request, fed at every split.
  const std::string request =
      "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  for (const auto& split : rtwire::test::all_splits(request)) {
    INFO(split.label);
    http1::request_parser p;
    for (const auto chunk : split.chunks)
      if (p.feed(chunk).status == parse_status::done) break;
    REQUIRE(p.status() == parse_status::done);
    CHECK(p.head().headers.request_body().kind == body_kind::chunked);
  }
}

TEST_CASE("http1 errors: category, messages, conditions and status_for", "[http1][error]") {
  const auto& cat = http1::error_category();
  REQUIRE(std::string_view(cat.name()) == "rtwire.http1");
  for (int v = 1; v <= 28; ++v) {
    const auto e = static_cast<http1::error>(v);
    const std::error_code ec = e;
    INFO(v);
    REQUIRE(&ec.category() == &cat);
    REQUIRE(ec.message().find("unknown") == std::string::npos);
    const bool limit = e == http1::error::head_too_large || e == http1::error::too_many_headers ||
                       e == http1::error::line_too_long || e == http1::error::too_many_empty_lines;
    const bool writer = v >= static_cast<int>(http1::error::invalid_method) &&
                        v <= static_cast<int>(http1::error::invalid_field_value);
    if (limit) {
      REQUIRE(ec == rtwire::condition::limit_exceeded);
    } else if (writer) {
      REQUIRE(ec == rtwire::condition::api_misuse);
    } else {
      REQUIRE(ec == rtwire::condition::protocol_violation);
    }
    const int expected = (limit && e != http1::error::too_many_empty_lines) ? 431
                         : e == http1::error::unsupported_version           ? 505
                                                                            : 400;
    REQUIRE(http1::status_for(e) == expected);
    REQUIRE(http1::status_for(ec) == expected);
  }
  REQUIRE(cat.message(29).find("unknown") != std::string::npos);
  REQUIRE(http1::status_for(std::error_code{}) == 0);
  REQUIRE(http1::status_for(std::make_error_code(std::errc::invalid_argument)) == 400);
  REQUIRE(http1::status_for(std::error_code(3, cat)) == 431);
}

TEST_CASE("http1 block-wise validation finds a bad byte at every position of long values",
          "[http1][parser]") {
  // Field values and request targets are checked 16 bytes at a time (SSE2); every position of
  // a bad byte, including both sides of each block boundary, must give the exact offset.
  const std::string prefix = "GET / HTTP/1.1\r\nX: ";
  for (std::size_t len = 1; len <= 70; ++len) {
    for (std::size_t at = 0; at < len; ++at) {
      for (const char bad : {'\x00', '\x01', '\x1f', '\x7f', '\r'}) {
        if (at == 0 && bad == '\r') continue;  // "X: \r\n..." is just an empty-value CR
        std::string value(len, 'v');
        value[at] = bad;
        const std::string input = prefix + value + "\r\n\r\n";
        http1::request_parser p;
        const auto r = p.feed(input);
        INFO("len " << len << " at " << at << " byte " << static_cast<int>(bad));
        REQUIRE(r.status == parse_status::error);
        CHECK(p.error().offset == prefix.size() + at);
        CHECK(p.error().code ==
              (bad == '\r' ? http1::error::bare_cr : http1::error::bad_header_value));
      }
      // HTAB and obs-text are field content anywhere (trailing HTAB is OWS, trimmed).
      for (const char ok : {'\t', '\x80', '\xff'}) {
        std::string value(len, 'v');
        value[at] = ok;
        http1::request_parser p;
        REQUIRE(p.feed(prefix + value + "\r\n\r\n").status == parse_status::done);
      }
    }
  }
  for (std::size_t len = 1; len <= 70; ++len) {
    for (std::size_t at = 1; at < len; ++at) {
      for (const char bad : {'\x00', '\x09', '\x7f', '\x80', '\xff'}) {
        // Built in place, not as "/" + std::string(...): GCC 12 reports a bogus -Wrestrict at
        // -O2/-O3 for operator+(const char*, std::string&&) (GCC PR 105651).
        std::string target(len, 't');
        target[0] = '/';
        target[at] = bad;
        http1::request_parser p;
        const auto r = p.feed("GET " + target + " HTTP/1.1\r\n\r\n");
        INFO("target len " << len << " at " << at << " byte " << static_cast<int>(bad));
        REQUIRE(r.status == parse_status::error);
        CHECK(p.error().offset == 4 + at);
        CHECK(p.error().code == http1::error::bad_target);
      }
    }
  }
}
