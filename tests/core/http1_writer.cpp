// HTTP/1.1 head writer: exact output, every validation error (nothing appended), every output
// buffer type, and writer -> parser round trips at every split.
#include <rtwire/core/http1.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "support/splits.hpp"

using namespace std::string_literals;
namespace http1 = rtwire::http1;
using http1::parse_status;

namespace {

/// Runs `write(buf)` on a buffer that already holds "prefix"; returns the error and checks that
/// an error appended nothing.
template <class Write>
std::pair<std::error_code, std::string> write_after_prefix(Write&& write) {
  std::string buf = "prefix";
  const std::error_code ec = write(buf);
  if (ec) {
    REQUIRE(buf == "prefix");
    return {ec, {}};
  }
  REQUIRE(buf.substr(0, 6) == "prefix");
  return {ec, buf.substr(6)};
}

std::error_code request_line_error(std::string_view method, std::string_view target,
                                   int minor = 1) {
  return write_after_prefix(
             [&](std::string& b) { return http1::write_request_line(b, method, target, minor); })
      .first;
}

std::error_code status_line_error(int status, std::string_view reason, int minor = 1) {
  return write_after_prefix(
             [&](std::string& b) { return http1::write_status_line(b, status, reason, minor); })
      .first;
}

std::error_code field_error(std::string_view name, std::string_view value) {
  return write_after_prefix([&](std::string& b) { return http1::write_field(b, name, value); })
      .first;
}

}  // namespace

TEST_CASE("http1 writer: request line", "[http1][writer]") {
  std::string out;
  REQUIRE(!http1::write_request_line(out, "GET", "/chat"));
  REQUIRE(out == "GET /chat HTTP/1.1\r\n");
  out.clear();
  REQUIRE(!http1::write_request_line(out, "OPTIONS", "*", 0));
  REQUIRE(out == "OPTIONS * HTTP/1.0\r\n");

  REQUIRE(request_line_error("", "/") == http1::error::invalid_method);
  REQUIRE(request_line_error("G T", "/") == http1::error::invalid_method);
  REQUIRE(request_line_error("GET\r\n", "/") == http1::error::invalid_method);
  REQUIRE(request_line_error("G\xc3\xa9T", "/") == http1::error::invalid_method);
  REQUIRE(request_line_error("GET", "") == http1::error::invalid_target);
  REQUIRE(request_line_error("GET", "/a b") == http1::error::invalid_target);
  REQUIRE(request_line_error("GET", "/a\tb") == http1::error::invalid_target);
  REQUIRE(request_line_error("GET", "/\r\nX: y") == http1::error::invalid_target);
  REQUIRE(request_line_error("GET", "/\x7f") == http1::error::invalid_target);
  REQUIRE(request_line_error("GET", "/caf\xc3\xa9") == http1::error::invalid_target);
  REQUIRE(request_line_error("GET", "/", 10) == http1::error::invalid_version);
  REQUIRE(request_line_error("GET", "/", -1) == http1::error::invalid_version);
  REQUIRE(request_line_error("GET", "/", 9) == std::error_code{});
  REQUIRE(request_line_error("", "/") == rtwire::condition::api_misuse);
}

TEST_CASE("http1 writer: status line", "[http1][writer]") {
  std::string out;
  REQUIRE(!http1::write_status_line(out, 101));
  REQUIRE(out == "HTTP/1.1 101 Switching Protocols\r\n");
  out.clear();
  REQUIRE(!http1::write_status_line(out, 299));  // no standard phrase: empty reason, SP kept
  REQUIRE(out == "HTTP/1.1 299 \r\n");
  out.clear();
  REQUIRE(!http1::write_status_line(out, 999, "Custom\tReason \xff", 0));
  REQUIRE(out == "HTTP/1.0 999 Custom\tReason \xff\r\n");

  REQUIRE(status_line_error(99, "X") == http1::error::invalid_status);
  REQUIRE(status_line_error(1000, "X") == http1::error::invalid_status);
  REQUIRE(status_line_error(-200, "X") == http1::error::invalid_status);
  REQUIRE(status_line_error(100, "X") == std::error_code{});
  REQUIRE(status_line_error(200, "OK\r\nSet-Cookie: x") == http1::error::invalid_reason);
  REQUIRE(status_line_error(200, "O\0K"s) == http1::error::invalid_reason);
  REQUIRE(status_line_error(200, "OK\x7f") == http1::error::invalid_reason);
  REQUIRE(status_line_error(200, "OK", 10) == http1::error::invalid_version);
}

TEST_CASE("http1 writer: fields and end", "[http1][writer]") {
  std::string out;
  REQUIRE(!http1::write_field(out, "Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
  REQUIRE(!http1::write_field(out, "X-Empty", ""));
  REQUIRE(!http1::write_field(out, "X", "a\tb c\x80\xff"));
  http1::write_end(out);
  REQUIRE(out ==
          "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-Empty: \r\nX: a\tb c\x80\xff\r\n"
          "\r\n");

  REQUIRE(field_error("", "v") == http1::error::invalid_field_name);
  REQUIRE(field_error("Bad Name", "v") == http1::error::invalid_field_name);
  REQUIRE(field_error("X:", "v") == http1::error::invalid_field_name);
  REQUIRE(field_error("X\r\nY", "v") == http1::error::invalid_field_name);
  REQUIRE(field_error("X", "a\r\nInjected: 1") == http1::error::invalid_field_value);
  REQUIRE(field_error("X", "a\nb") == http1::error::invalid_field_value);
  REQUIRE(field_error("X", "a\rb") == http1::error::invalid_field_value);
  REQUIRE(field_error("X", "a\0b"s) == http1::error::invalid_field_value);
  REQUIRE(field_error("X", "\x7f") == http1::error::invalid_field_value);
  REQUIRE(field_error("X", " leading") == http1::error::invalid_field_value);
  REQUIRE(field_error("X", "trailing\t") == http1::error::invalid_field_value);
  REQUIRE(field_error("X", "inner space") == std::error_code{});
}

TEST_CASE("http1 writer: any output_buffer", "[http1][writer]") {
  const std::string_view expected = "GET / HTTP/1.1\r\nA: b\r\n\r\n";
  const auto fill = [](auto& buf) {
    REQUIRE(!http1::write_request_line(buf, "GET", "/"));
    REQUIRE(!http1::write_field(buf, "A", "b"));
    http1::write_end(buf);
  };
  std::vector<char> chars;
  fill(chars);
  REQUIRE(std::string_view(chars.data(), chars.size()) == expected);
  std::vector<unsigned char> uchars;
  fill(uchars);
  REQUIRE(std::string(uchars.begin(), uchars.end()) == expected);
  std::vector<std::byte> bytes;
  fill(bytes);
  REQUIRE(rtwire::as_chars(bytes) == expected);
}

TEST_CASE("http1 writer: whole heads validate everything before writing", "[http1][writer]") {
  const http1::response_head ok{
      1, 1, 101, "Switching Protocols", {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}};
  auto [ec, out] =
      write_after_prefix([&](std::string& b) { return http1::write_response_head(b, ok); });
  REQUIRE(!ec);
  REQUIRE(out ==
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");

  http1::response_head bad = ok;
  bad.headers.add("Bad Name", "x");
  REQUIRE(write_after_prefix([&](std::string& b) {
            return http1::write_response_head(b, bad);
          }).first == http1::error::invalid_field_name);
  bad = ok;
  bad.headers.add("X", "a\r\nb");
  REQUIRE(write_after_prefix([&](std::string& b) {
            return http1::write_response_head(b, bad);
          }).first == http1::error::invalid_field_value);
  bad = ok;
  bad.status = 42;
  REQUIRE(write_after_prefix([&](std::string& b) {
            return http1::write_response_head(b, bad);
          }).first == http1::error::invalid_status);
  bad = ok;
  bad.version_major = 2;
  REQUIRE(write_after_prefix([&](std::string& b) {
            return http1::write_response_head(b, bad);
          }).first == http1::error::invalid_version);

  const http1::request_head req{"GET", "/", 1, 0, {{"Host", "h"}}};
  std::tie(ec, out) =
      write_after_prefix([&](std::string& b) { return http1::write_request_head(b, req); });
  REQUIRE(!ec);
  REQUIRE(out == "GET / HTTP/1.0\r\nHost: h\r\n\r\n");
  http1::request_head bad_req = req;
  bad_req.target = "/ x";
  REQUIRE(write_after_prefix([&](std::string& b) {
            return http1::write_request_head(b, bad_req);
          }).first == http1::error::invalid_target);
  bad_req = req;
  bad_req.method = "";
  REQUIRE(write_after_prefix([&](std::string& b) {
            return http1::write_request_head(b, bad_req);
          }).first == http1::error::invalid_method);
  bad_req = req;
  bad_req.version_major = 0;
  REQUIRE(write_after_prefix([&](std::string& b) {
            return http1::write_request_head(b, bad_req);
          }).first == http1::error::invalid_version);
  bad_req = req;
  bad_req.headers.add("X", " padded");
  REQUIRE(write_after_prefix([&](std::string& b) {
            return http1::write_request_head(b, bad_req);
          }).first == http1::error::invalid_field_value);
}

TEST_CASE("http1 writer: one-allocation heads from field lists", "[http1][writer]") {
  const http1::header_field fields[] = {{"Content-Length", "0"}, {"Connection", "close"}};
  const http1::header_field more[] = {{"Access-Control-Allow-Origin", "*"}};
  std::string out = "x";
  REQUIRE_FALSE(http1::write_response_head(out, 411, fields));
  CHECK(out == "xHTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  out.clear();
  REQUIRE_FALSE(http1::write_response_head(out, 431, fields, more));
  CHECK(out ==
        "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
        "Connection: close\r\nAccess-Control-Allow-Origin: *\r\n\r\n");
  out.clear();
  REQUIRE_FALSE(http1::write_response_head(out, 599, {}));  // no standard phrase: empty reason
  CHECK(out == "HTTP/1.1 599 \r\n\r\n");
  out.clear();
  REQUIRE_FALSE(http1::write_request_head(out, "GET", "/chat?a=1", fields, more));
  CHECK(out ==
        "GET /chat?a=1 HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n"
        "Access-Control-Allow-Origin: *\r\n\r\n");

  // Every error appends nothing; CR/LF in a value or name cannot inject a field.
  std::string none;
  const http1::header_field injected_value[] = {{"X", "a\r\nSet-Cookie: s"}};
  const http1::header_field injected_name[] = {{"X\r\nY", "a"}};
  const http1::header_field bare_lf[] = {{"X", "a\nb"}};
  CHECK(http1::write_response_head(none, 200, injected_value) == http1::error::invalid_field_value);
  CHECK(http1::write_response_head(none, 200, fields, injected_name) ==
        http1::error::invalid_field_name);
  CHECK(http1::write_response_head(none, 200, bare_lf) == http1::error::invalid_field_value);
  CHECK(http1::write_response_head(none, 99, fields) == http1::error::invalid_status);
  CHECK(http1::write_response_head(none, 1000, fields) == http1::error::invalid_status);
  CHECK(http1::write_request_head(none, "G T", "/", fields) == http1::error::invalid_method);
  CHECK(http1::write_request_head(none, "GET", "/a b", fields) == http1::error::invalid_target);
  CHECK(http1::write_request_head(none, "GET", "/\r\nX: y", fields) ==
        http1::error::invalid_target);
  CHECK(http1::write_request_head(none, "GET", "/", fields, injected_value) ==
        http1::error::invalid_field_value);
  CHECK(none.empty());

  // What it writes, the parser reads back.
  http1::response_parser parser;
  std::string head;
  REQUIRE_FALSE(http1::write_response_head(head, 404, fields, more));
  REQUIRE(parser.feed(head).status == parse_status::done);
  CHECK(parser.head().reason == "Not Found");
  CHECK(parser.head().headers.find("access-control-allow-origin") == "*");
}

TEST_CASE("http1 list helpers: trim_ows, for_each_list_element, list_has_token", "[http1]") {
  CHECK(http1::trim_ows(" \t a b \t") == "a b");
  std::vector<std::string> seen;
  http1::for_each_list_element(R"(a, "b,c" ,, d)",
                               [&](std::string_view e) { seen.emplace_back(e); });
  CHECK(seen == std::vector<std::string>{"a", R"("b,c")", "d"});
  CHECK(http1::list_has_token("keep-alive, Upgrade", "upgrade"));
  CHECK(http1::list_has_token("UPGRADE", "upgrade"));
  CHECK_FALSE(http1::list_has_token("upgrade2", "upgrade"));
  CHECK(rtwire::ascii::iequals("Sec-WebSocket-Key", "sec-websocket-key"));
  CHECK(rtwire::ascii::equals_lower("Sec-WebSocket-Key", "sec-websocket-key"));
  CHECK_FALSE(rtwire::ascii::equals_lower("Sec-WebSocket-Kez", "sec-websocket-key"));
}

// equals_lower() compares in words (8 bytes, a last overlapping word; 4-byte words below 8
// bytes): it must agree with iequals() for every length, every position and every token byte.
TEST_CASE("ascii::equals_lower agrees with iequals at every length and position", "[http1]") {
  constexpr std::string_view pattern = "sec-websocket-extensions-0123456789-abcdefghij";
  std::string tchars;
  for (int c = 0; c < 256; ++c)
    if (http1::is_token(std::string(1, static_cast<char>(c)))) tchars += static_cast<char>(c);
  REQUIRE(tchars.size() == 77);  // RFC 9110 §5.6.2: ALPHA, DIGIT and 15 symbols
  std::size_t equal = 0;
  for (std::size_t len = 0; len <= pattern.size(); ++len) {
    const std::string_view lower = pattern.substr(0, len);
    CHECK(rtwire::ascii::equals_lower(lower, lower));
    if (len < pattern.size())
      CHECK_FALSE(rtwire::ascii::equals_lower(pattern.substr(0, len + 1), lower));
    for (std::size_t i = 0; i < len; ++i) {
      std::string token(lower);
      for (char c : tchars) {
        token[i] = c;
        const bool want = rtwire::ascii::iequals(token, lower);
        if (rtwire::ascii::equals_lower(token, lower) != want) {
          FAIL_CHECK("length " << len << ", byte " << i << " = '" << c << "'");
        }
        equal += want;
      }
    }
  }
  CHECK(equal > 1000);  // upper-case letters fold: many of the changed tokens still match
}

TEST_CASE("http1 reason_phrase", "[http1][writer]") {
  REQUIRE(http1::reason_phrase(101) == "Switching Protocols");
  REQUIRE(http1::reason_phrase(200) == "OK");
  REQUIRE(http1::reason_phrase(400) == "Bad Request");
  REQUIRE(http1::reason_phrase(413) == "Content Too Large");  // RFC 9110 name (was 7231's)
  REQUIRE(http1::reason_phrase(426) == "Upgrade Required");
  REQUIRE(http1::reason_phrase(431) == "Request Header Fields Too Large");
  REQUIRE(http1::reason_phrase(505) == "HTTP Version Not Supported");
  REQUIRE(http1::reason_phrase(306).empty());  // RFC 9110 §15.4.7: unused
  REQUIRE(http1::reason_phrase(418).empty());  // RFC 9110 §15.5.19: unused
  REQUIRE(http1::reason_phrase(0).empty());
  REQUIRE(http1::reason_phrase(1000).empty());
  // Every code status_for() returns has a phrase.
  for (int code : {400, 431, 505})
    REQUIRE(!http1::reason_phrase(code).empty());
}

TEST_CASE("http1 round trip: every status writes a head the parser reads back", "[http1][writer]") {
  for (int status = 100; status <= 999; ++status) {
    std::string out;
    REQUIRE(!http1::write_status_line(out, status));
    http1::write_end(out);
    http1::response_parser parser;
    const auto r = parser.feed(out);
    INFO(out);
    REQUIRE(r.status == parse_status::done);
    REQUIRE(r.consumed == out.size());
    REQUIRE(parser.head().status == status);
    REQUIRE(parser.head().reason == http1::reason_phrase(status));
  }
}

TEST_CASE("http1 round trip: writer -> parser at every split", "[http1][writer]") {
  const http1::request_head request{
      "GET",
      "/chat?room=1",
      1,
      1,
      {{"Host", "server.example.com"},
       {"Upgrade", "websocket"},
       {"Connection", "Upgrade"},
       {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
       {"Sec-WebSocket-Version", "13"},
       {"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"},
       {"X-Empty", ""},
       {"X-Obs-Text", "caf\xc3\xa9\tx"}}};
  std::string out;
  REQUIRE(!http1::write_request_head(out, request));
  out += "trailing";
  for (const auto& split : rtwire::test::all_splits(out)) {
    INFO(split.label);
    http1::request_parser parser;
    std::size_t consumed = 0;
    for (const auto chunk : split.chunks) {
      const auto r = parser.feed(chunk);
      consumed += r.consumed;
      if (r.status != parse_status::need_more) break;
    }
    REQUIRE(parser.status() == parse_status::done);
    REQUIRE(out.substr(consumed) == "trailing");
    const auto& h = parser.head();
    REQUIRE(h.method == request.method);
    REQUIRE(h.target == request.target);
    REQUIRE(h.version_major == 1);
    REQUIRE(h.version_minor == 1);
    REQUIRE(std::vector<http1::header_field>(h.headers.all().begin(), h.headers.all().end()) ==
            std::vector<http1::header_field>(request.headers.all().begin(),
                                             request.headers.all().end()));
  }

  const http1::response_head response{1, 0, 101, "", {{"Upgrade", "websocket"}}};
  out.clear();
  REQUIRE(!http1::write_response_head(out, response));
  REQUIRE(out == "HTTP/1.0 101 \r\nUpgrade: websocket\r\n\r\n");
  http1::response_parser parser;
  REQUIRE(parser.feed(out).status == parse_status::done);
  REQUIRE(parser.head().version_minor == 0);
  REQUIRE(parser.head().status == 101);
  REQUIRE(parser.head().reason.empty());
  REQUIRE(parser.head().headers.find("upgrade") == "websocket");
}
