// The WebSocket opening handshake (RFC 6455 §4), both roles. Every request/response fixture is
// run whole, byte by byte and split at every point, and must give the same outcome and the same
// end-of-head offset each time.
#include <rtwire/core/base64.hpp>
#include <rtwire/ws/handshake.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "support/splits.hpp"

using namespace std::string_view_literals;
using rtwire::ws::client_handshake;
using rtwire::ws::handshake_error;
using rtwire::ws::server_handshake;
using server_state = server_handshake::state;
using client_state = client_handshake::state;

namespace {

// RFC 6455 §1.3's example request.
constexpr std::string_view rfc_request =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

// "the sample nonce", the 16 bytes whose base64 is RFC 6455's example key.
std::array<std::byte, 16> sample_nonce() {
  std::array<std::byte, 16> nonce{};
  constexpr std::string_view text = "the sample nonce";
  for (std::size_t i = 0; i < 16; ++i)
    nonce[i] = static_cast<std::byte>(text[i]);
  return nonce;
}

std::string replace(std::string_view in, std::string_view from, std::string_view to) {
  std::string s(in);
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), to);
  return s;
}

struct server_outcome {
  server_state state;
  std::size_t head_end;  // absolute offset of the first byte after the head (when not rejected)
  std::error_code error;
  std::size_t error_offset;
  int status;
};

// Feeds `chunks` to a fresh server handshake, like a network loop would.
server_outcome run_server(const std::vector<std::string_view>& chunks,
                          server_handshake::options opts = {}) {
  server_handshake hs(opts);
  std::size_t fed = 0;
  for (std::string_view chunk : chunks) {
    const auto r = hs.feed(chunk);
    if (r.status != server_state::need_more)
      return {r.status, fed + r.consumed, hs.error().code, hs.error().offset,
              hs.rejection_status()};
    REQUIRE(r.consumed == chunk.size());
    fed += chunk.size();
  }
  hs.finish();
  return {hs.current(), fed, hs.error().code, hs.error().offset, hs.rejection_status()};
}

// Runs `input` at every split and checks all splits agree; returns the outcome.
server_outcome server_all_splits(std::string_view input, server_handshake::options opts = {}) {
  const server_outcome whole = run_server({input}, opts);
  for (const auto& split : rtwire::test::all_splits(input)) {
    INFO(split.label);
    const server_outcome o = run_server(split.chunks, opts);
    CHECK(o.state == whole.state);
    // After a violation the bytes consumed depend on the chunking; the error offset does not.
    if (o.state != server_state::rejected) CHECK(o.head_end == whole.head_end);
    CHECK(o.error == whole.error);
    CHECK(o.error_offset == whole.error_offset);
    CHECK(o.status == whole.status);
  }
  return whole;
}

std::string rejection_for(std::string_view input) {
  server_handshake hs;
  hs.feed(input);
  hs.finish();
  std::string out;
  REQUIRE_FALSE(hs.write_rejection(out));
  return out;
}

}  // namespace

TEST_CASE("server: accept() is right even after the request's buffer was reused") {
  // The head arrives in one call, so the parser's views point into `buffer`; the caller reuses
  // the buffer (the next read) before answering. The accept value must still be the RFC's.
  std::string buffer(rfc_request);
  server_handshake hs;
  REQUIRE(hs.feed(buffer).status == server_state::request_ready);
  std::fill(buffer.begin(), buffer.end(), 'x');
  CHECK(hs.request().key == "dGhlIHNhbXBsZSBub25jZQ==");
  std::string out;
  REQUIRE_FALSE(hs.accept(out));
  CHECK(out.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
}

TEST_CASE("server: RFC 6455 §1.3 example request is accepted with the RFC's accept value") {
  const server_outcome o = server_all_splits(rfc_request);
  CHECK(o.state == server_state::request_ready);
  CHECK(o.head_end == rfc_request.size());

  server_handshake hs;
  const auto r = hs.feed(rfc_request);
  REQUIRE(r.status == server_state::request_ready);
  const auto& req = hs.request();
  CHECK(req.target == "/chat");
  CHECK(req.host == "server.example.com");
  REQUIRE(req.origin.has_value());
  CHECK(*req.origin == "http://example.com");
  CHECK(req.key == "dGhlIHNhbXBsZSBub25jZQ==");
  REQUIRE(req.protocols.size() == 2);
  CHECK(req.protocols[0] == "chat");
  CHECK(req.protocols[1] == "superchat");
  CHECK(req.extensions.empty());
  REQUIRE(req.head != nullptr);
  CHECK(req.head->headers.size() == 7);

  std::string out;
  REQUIRE_FALSE(hs.accept(out, {.protocol = "chat"}));
  CHECK(out ==
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        "Sec-WebSocket-Protocol: chat\r\n"
        "\r\n");
  CHECK(hs.current() == server_state::accepted);
  // A second accept is misuse, and writes nothing.
  std::string again;
  CHECK(hs.accept(again) == handshake_error::not_ready);
  CHECK(again.empty());
}

TEST_CASE("server: is_valid_key accepts what base64::decode() decodes to 16 bytes, only") {
  const auto by_decode = [](std::string_view key) {
    std::array<std::byte, 18> raw{};
    const auto r = rtwire::base64::decode(key, raw);
    return key.size() == 24 && !r.ec && r.size == 16;
  };
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  CHECK(rtwire::ws::is_valid_key(key));
  for (std::size_t at = 0; at < key.size(); ++at) {
    for (int b = 0; b < 256; ++b) {
      std::string k = key;
      k[at] = static_cast<char>(b);
      INFO("byte " << b << " at " << at);
      CHECK(rtwire::ws::is_valid_key(k) == by_decode(k));
    }
  }
  for (const std::string_view k :
       {""sv, "dGhlIHNhbXBsZSBub25jZQ="sv, "dGhlIHNhbXBsZSBub25jZQ==="sv,
        "AAAAAAAAAAAAAAAAAAAAAA=="sv, "////////////////////// =="sv, "AAAAAAAAAAAAAAAAAAAAAAAA"sv})
    CHECK(rtwire::ws::is_valid_key(k) == by_decode(k));
}

TEST_CASE("server: the 101 is the http1 writer's response head, with or without extras") {
  // accept() writes the common response (no caller headers) from constant pieces; it must be the
  // very bytes http1::write_response_head() writes for the same fields.
  const std::string request = std::string(rfc_request.substr(0, rfc_request.size() - 2)) +
                              "Sec-WebSocket-Extensions: permessage-deflate, x-other\r\n\r\n";
  for (const std::string_view protocol : {""sv, "chat"sv, "superchat"sv}) {
    for (const std::string_view extensions : {""sv, "permessage-deflate"sv, "x-other"sv}) {
      INFO("protocol '" << protocol << "' extensions '" << extensions << "'");
      server_handshake hs;
      REQUIRE(hs.feed(request).status == server_state::request_ready);
      std::string out = "kept|";  // accept() appends
      REQUIRE_FALSE(hs.accept(out, {.protocol = protocol, .extensions = extensions}));
      std::vector<rtwire::http1::header_field> fields{
          {"Upgrade", "websocket"},
          {"Connection", "Upgrade"},
          {"Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}};
      if (!protocol.empty()) fields.push_back({"Sec-WebSocket-Protocol", protocol});
      if (!extensions.empty()) fields.push_back({"Sec-WebSocket-Extensions", extensions});
      std::string expected = "kept|";
      REQUIRE_FALSE(rtwire::http1::write_response_head(expected, 101, fields));
      CHECK(out == expected);
      CHECK(hs.current() == server_state::accepted);
    }
  }
}

TEST_CASE("server: field names and tokens are case-insensitive, lists may hold other tokens") {
  const std::string req =
      "GET /a?b=c HTTP/1.1\r\n"
      "hOsT: h\r\n"
      "upgrade: h2c, WebSocket\r\n"
      "CONNECTION: keep-alive, , UPGRADE\r\n"
      "sec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==\r\n"
      "SEC-WEBSOCKET-VERSION: 13\r\n"
      "\r\n";
  CHECK(server_all_splits(req).state == server_state::request_ready);
}

TEST_CASE("server: HTTP/1.2 and an absolute-form http URI are acceptable") {
  CHECK(server_all_splits(replace(rfc_request, "HTTP/1.1", "HTTP/1.2")).state ==
        server_state::request_ready);
  CHECK(server_all_splits(replace(rfc_request, "/chat", "http://server.example.com/chat")).state ==
        server_state::request_ready);
}

TEST_CASE("server: leftover bytes after the head belong to the WebSocket connection") {
  const std::string frames = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";  // RFC 6455 §5.7
  const std::string input = std::string(rfc_request) + frames;
  const server_outcome o = server_all_splits(input);
  CHECK(o.state == server_state::request_ready);
  CHECK(o.head_end == rfc_request.size());
  CHECK(input.substr(o.head_end) == frames);
}

TEST_CASE("server: every violation of RFC 6455 §4.2.1 is rejected with its status") {
  struct fixture {
    const char* name;
    std::string request;
    std::error_code error;
    int status;
  };
  const std::string r(rfc_request);
  const std::vector<fixture> fixtures = {
      {"POST", replace(r, "GET", "POST"), handshake_error::method_not_get, 400},
      {"lowercase get", replace(r, "GET", "get"), handshake_error::method_not_get, 400},
      {"HTTP/1.0", replace(r, "HTTP/1.1", "HTTP/1.0"), handshake_error::http_version_too_old, 400},
      {"asterisk target", replace(r, "/chat", "*"), handshake_error::bad_request_target, 400},
      {"authority target", replace(r, "/chat", "server.example.com:80"),
       handshake_error::bad_request_target, 400},
      {"no Host", replace(r, "Host: server.example.com\r\n", ""), handshake_error::missing_host,
       400},
      {"two Hosts", replace(r, "Host: server.example.com\r\n", "Host: a\r\nHost: b\r\n"),
       handshake_error::duplicate_host, 400},
      {"no Upgrade", replace(r, "Upgrade: websocket\r\n", ""), handshake_error::missing_upgrade,
       400},
      {"Upgrade: h2c", replace(r, "Upgrade: websocket", "Upgrade: h2c"),
       handshake_error::missing_upgrade, 400},
      {"Upgrade: websocketx", replace(r, "Upgrade: websocket", "Upgrade: websocketx"),
       handshake_error::missing_upgrade, 400},
      {"no Connection", replace(r, "Connection: Upgrade\r\n", ""),
       handshake_error::missing_connection_upgrade, 400},
      {"Connection: keep-alive", replace(r, "Connection: Upgrade", "Connection: keep-alive"),
       handshake_error::missing_connection_upgrade, 400},
      {"Connection: Upgraded", replace(r, "Connection: Upgrade", "Connection: Upgraded"),
       handshake_error::missing_connection_upgrade, 400},
      {"no key", replace(r, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
       handshake_error::missing_key, 400},
      {"two keys",
       replace(r, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
       handshake_error::duplicate_key, 400},
      {"key of 15 bytes", replace(r, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j"),
       handshake_error::bad_key, 400},
      {"key of 17 bytes", replace(r, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZXNz"),
       handshake_error::bad_key, 400},
      {"key not base64", replace(r, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j!Q=="),
       handshake_error::bad_key, 400},
      {"key non-canonical", replace(r, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZR=="),
       handshake_error::bad_key, 400},
      {"key without padding", replace(r, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ"),
       handshake_error::bad_key, 400},
      {"no version", replace(r, "Sec-WebSocket-Version: 13\r\n", ""),
       handshake_error::missing_version, 426},
      {"version 8", replace(r, "Version: 13", "Version: 8"), handshake_error::unsupported_version,
       426},
      {"version 13, 8", replace(r, "Version: 13", "Version: 13, 8"),
       handshake_error::unsupported_version, 426},
      {"two versions",
       replace(r, "Sec-WebSocket-Version: 13\r\n",
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13\r\n"),
       handshake_error::duplicate_version, 400},
      {"duplicate protocol", replace(r, "chat, superchat", "chat, chat"),
       handshake_error::bad_protocol_list, 400},
      {"protocol not a token", replace(r, "chat, superchat", "chat, sup\"er"),
       handshake_error::bad_protocol_list, 400},
      {"protocol with a space", replace(r, "chat, superchat", "chat, super chat"),
       handshake_error::bad_protocol_list, 400},
      {"extension name not a token",
       replace(r, "Sec-WebSocket-Version",
               "Sec-WebSocket-Extensions: per/message\r\nSec-WebSocket-Version"),
       handshake_error::bad_extension_list, 400},
      {"extension param without a name",
       replace(r, "Sec-WebSocket-Version",
               "Sec-WebSocket-Extensions: foo; =1\r\nSec-WebSocket-Version"),
       handshake_error::bad_extension_list, 400},
      {"extension param value with an escape",
       replace(r, "Sec-WebSocket-Version",
               "Sec-WebSocket-Extensions: foo; a=\"\\b\"\r\nSec-WebSocket-Version"),
       handshake_error::bad_extension_list, 400},
      {"HTTP syntax: bare LF",
       replace(r, "Host: server.example.com\r\n", "Host: server.example.com\n"),
       rtwire::http1::error::bare_lf, 400},
      {"HTTP syntax: obs-fold",
       replace(r, "Origin: http://example.com\r\n", "Origin: http://\r\n example.com\r\n"),
       rtwire::http1::error::obs_fold, 400},
      {"HTTP syntax: space before colon", replace(r, "Origin:", "Origin :"),
       rtwire::http1::error::whitespace_before_colon, 400},
  };
  for (const auto& f : fixtures) {
    INFO(f.name);
    const server_outcome o = server_all_splits(f.request);
    CHECK(o.state == server_state::rejected);
    CHECK(o.error == f.error);
    CHECK(o.status == f.status);
    CHECK(o.error.category().name() != nullptr);
    CHECK(!o.error.message().empty());
  }
}

TEST_CASE("server: the rejection responses are exact") {
  const std::string r(rfc_request);
  CHECK(rejection_for(replace(r, "Version: 13", "Version: 8")) ==
        "HTTP/1.1 426 Upgrade Required\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade, close\r\n"
        "Content-Length: 0\r\n"
        "\r\n");
  CHECK(rejection_for(replace(r, "GET", "PUT")) ==
        "HTTP/1.1 400 Bad Request\r\n"
        "Connection: close\r\n"
        "Content-Length: 0\r\n"
        "\r\n");
}

TEST_CASE("server: an oversize head is answered 431 as soon as the limit is passed") {
  server_handshake::options opts;
  opts.http.limit.max_head_bytes = 256;
  std::string big = replace(rfc_request, "Origin: http://example.com",
                            "Origin: http://" + std::string(300, 'a') + ".example.com");
  const server_outcome o = server_all_splits(big, opts);
  CHECK(o.state == server_state::rejected);
  CHECK(o.status == 431);
  CHECK(o.error == rtwire::condition::limit_exceeded);
  CHECK(rejection_for(std::string(20000, 'a')).rfind("HTTP/1.1 431 ", 0) == 0);
}

// The server reads Sec-WebSocket-Protocol in one pass (server_handshake::collect_protocols). The
// reference splits the list first, as RFC 9110 §5.6.1 reads (quoted-strings and all, through
// for_each_list_element), then checks each element in order: a token (RFC 6455 §4.1 /10), not
// seen before, within max_protocols. Every value of up to 5 bytes over an alphabet of tchar,
// separators, OWS, quotes and backslashes must give the same outcome and the same list.
TEST_CASE("server: every short Sec-WebSocket-Protocol value, one pass vs split then check") {
  constexpr std::string_view alphabet = "ab, \t\"\\/";
  constexpr std::size_t max_protocols = 2;
  server_handshake::options opts;
  opts.limit.max_protocols = max_protocols;
  const auto reference = [&](std::string_view value, std::vector<std::string_view>& list) {
    handshake_error failure{};
    rtwire::http1::for_each_list_element(value, [&](std::string_view p) {
      if (!rtwire::http1::is_token(p) || std::find(list.begin(), list.end(), p) != list.end())
        failure = handshake_error::bad_protocol_list;
      else if (list.size() == max_protocols)
        failure = handshake_error::too_many_protocols;
      else
        list.push_back(p);
      return failure == handshake_error{};
    });
    return failure;
  };
  std::size_t values = 0, accepted = 0;
  std::string value;
  server_handshake hs(opts);
  const auto check = [&] {
    ++values;
    std::vector<std::string_view> expected;
    const handshake_error want = reference(value, expected);
    const std::string request =
        replace(rfc_request, "chat, superchat", value.empty() ? std::string_view(" ") : value);
    hs.reset();
    const auto r = hs.feed(request);
    INFO("value: \"" << value << '"');
    if (want != handshake_error{}) {
      REQUIRE(r.status == server_state::rejected);
      REQUIRE(hs.error().code == std::error_code(want));
      return;
    }
    REQUIRE(r.status == server_state::request_ready);
    const auto got = hs.request().protocols;
    REQUIRE(std::vector<std::string_view>(got.begin(), got.end()) == expected);
    ++accepted;
  };
  // Every string of length 0..5 over the alphabet, as digits of a counter in base alphabet.size().
  for (std::size_t len = 0; len <= 5; ++len) {
    std::vector<std::size_t> digit(len, 0);
    value.assign(len, alphabet[0]);
    for (;;) {
      check();
      std::size_t i = 0;
      while (i < len && ++digit[i] == alphabet.size()) {
        digit[i] = 0;
        value[i] = alphabet[0];
        ++i;
      }
      if (i == len) break;
      value[i] = alphabet[digit[i]];
    }
  }
  CHECK(values == 1 + 8 + 64 + 512 + 4096 + 32768);
  CHECK(accepted > 1000);  // the walk reaches valid lists, not only errors
}

TEST_CASE("server: limits on offered subprotocols and extensions") {
  server_handshake::options opts;
  opts.limit.max_protocols = 2;
  opts.limit.max_extensions = 1;
  opts.limit.max_extension_params = 1;
  const std::string r(rfc_request);
  CHECK(server_all_splits(r, opts).state == server_state::request_ready);  // exactly 2 protocols
  server_outcome o = server_all_splits(replace(r, "chat, superchat", "a, b, c"), opts);
  CHECK(o.error == handshake_error::too_many_protocols);
  CHECK(o.error == rtwire::condition::limit_exceeded);
  CHECK(o.status == 431);
  const auto with_ext = [&](std::string_view ext) {
    return replace(r, "Sec-WebSocket-Version",
                   "Sec-WebSocket-Extensions: " + std::string(ext) + "\r\nSec-WebSocket-Version");
  };
  CHECK(server_all_splits(with_ext("a; x=1"), opts).state == server_state::request_ready);
  CHECK(server_all_splits(with_ext("a, b"), opts).error == handshake_error::too_many_extensions);
  CHECK(server_all_splits(with_ext("a; x; y"), opts).error == handshake_error::too_many_extensions);
}

TEST_CASE("server: extension offers are parsed per RFC 6455 §9.1") {
  const std::string req =
      replace(rfc_request, "Sec-WebSocket-Version",
              "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, "
              "permessage-deflate ; server_max_window_bits=\"10\"\r\n"
              "Sec-WebSocket-Extensions: x-foo\r\nSec-WebSocket-Version");
  server_handshake hs;
  REQUIRE(hs.feed(req).status == server_state::request_ready);
  const auto ext = hs.request().extensions;
  REQUIRE(ext.size() == 3);
  CHECK(ext[0].name == "permessage-deflate");
  REQUIRE(ext[0].params.size() == 1);
  CHECK(ext[0].params[0].name == "client_max_window_bits");
  CHECK_FALSE(ext[0].params[0].value.has_value());
  CHECK(ext[1].name == "permessage-deflate");
  REQUIRE(ext[1].params.size() == 1);
  CHECK(ext[1].params[0].name == "server_max_window_bits");
  CHECK(ext[1].params[0].value == "10");
  CHECK(ext[2].name == "x-foo");
  CHECK(ext[2].params.empty());

  std::string out;
  CHECK(hs.accept(out, {.extensions = "x-bar"}) == handshake_error::extension_not_offered);
  CHECK(out.empty());
  CHECK(hs.accept(out, {.extensions = "x-foo\r\nX: y"}) == handshake_error::invalid_argument);
  REQUIRE_FALSE(hs.accept(out, {.extensions = "permessage-deflate; server_max_window_bits=10"}));
  CHECK(
      out.find("\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n") !=
      std::string::npos);
}

TEST_CASE("server: accept() checks what the application passes") {
  server_handshake hs;
  std::string out;
  CHECK(hs.accept(out) == handshake_error::not_ready);  // nothing fed yet
  REQUIRE(hs.feed(rfc_request).status == server_state::request_ready);
  CHECK(hs.accept(out, {.protocol = "mqtt"}) == handshake_error::protocol_not_offered);
  CHECK(hs.accept(out, {.protocol = "mqtt"}) == rtwire::condition::api_misuse);
  const rtwire::http1::header_field bad_name[] = {{"Set Cookie", "a=b"}};
  CHECK(hs.accept(out, {.headers = bad_name}) == handshake_error::invalid_argument);
  const rtwire::http1::header_field bad_value[] = {{"Set-Cookie", "a=b\r\nX: 1"}};
  CHECK(hs.accept(out, {.headers = bad_value}) == handshake_error::invalid_argument);
  CHECK(out.empty());
  const rtwire::http1::header_field good[] = {{"Set-Cookie", "session=1"}};
  REQUIRE_FALSE(hs.accept(out, {.headers = good}));
  CHECK(out ==
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSet-Cookie: session=1\r\n\r\n");
}

TEST_CASE("server: reject() answers a valid request with the application's status") {
  server_handshake hs;
  REQUIRE(hs.feed(rfc_request).status == server_state::request_ready);
  std::string out;
  CHECK(hs.reject(out, 200) == handshake_error::invalid_argument);
  CHECK(hs.reject(out, 600) == handshake_error::invalid_argument);
  REQUIRE_FALSE(hs.reject(out, 403));
  CHECK(out == "HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  CHECK(hs.current() == server_state::rejected);
  CHECK(hs.rejection_status() == 403);
  std::string again;
  CHECK(hs.reject(again, 403) == handshake_error::not_ready);
  CHECK(hs.write_rejection(again) == handshake_error::not_ready);  // no protocol error to answer
}

TEST_CASE("server: errors are sticky, and reset() starts over") {
  server_handshake hs;
  const auto first = hs.feed("POST / HTTP/1.1\r\n\r\n");
  CHECK(first.status == server_state::rejected);
  const auto again = hs.feed(rfc_request);
  CHECK(again.status == server_state::rejected);
  CHECK(again.consumed == 0);
  CHECK(hs.error().code == handshake_error::method_not_get);
  hs.reset();
  CHECK(hs.feed(rfc_request).status == server_state::request_ready);
}

TEST_CASE("server: a connection closed mid-head is rejected as an unexpected end") {
  server_handshake hs;
  CHECK(hs.feed(rfc_request.substr(0, 40)).status == server_state::need_more);
  CHECK(hs.finish() == server_state::rejected);
  CHECK(hs.error().code == rtwire::http1::error::unexpected_end);
  CHECK(hs.rejection_status() == 400);
  server_handshake empty;
  CHECK(empty.finish() == server_state::need_more);  // nothing started: nothing to reject
}

// ---------------------------------------------------------------------------------------------
// Client role
// ---------------------------------------------------------------------------------------------

namespace {

constexpr std::string_view rfc_response =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "Sec-WebSocket-Protocol: chat\r\n"
    "\r\n";

client_handshake started_client(std::string* request = nullptr) {
  client_handshake hs;
  const std::string_view protocols[] = {"chat", "superchat"};
  std::string out;
  REQUIRE_FALSE(hs.write_request(out,
                                 {.host = "server.example.com",
                                  .target = "/chat",
                                  .origin = "http://example.com",
                                  .protocols = protocols,
                                  .extensions = "permessage-deflate; client_max_window_bits"},
                                 sample_nonce()));
  if (request) *request = out;
  return hs;
}

struct client_outcome {
  client_state state;
  std::size_t head_end;
  std::error_code error;
  std::size_t error_offset;
};

client_outcome run_client(const std::vector<std::string_view>& chunks) {
  client_handshake hs = started_client();
  std::size_t fed = 0;
  for (std::string_view chunk : chunks) {
    const auto r = hs.feed(chunk);
    if (r.status != client_state::need_more)
      return {r.status, fed + r.consumed, hs.error().code, hs.error().offset};
    fed += chunk.size();
  }
  hs.finish();
  return {hs.current(), fed, hs.error().code, hs.error().offset};
}

client_outcome client_all_splits(std::string_view input) {
  const client_outcome whole = run_client({input});
  for (const auto& split : rtwire::test::all_splits(input)) {
    INFO(split.label);
    const client_outcome o = run_client(split.chunks);
    CHECK(o.state == whole.state);
    if (o.state != client_state::failed) CHECK(o.head_end == whole.head_end);
    CHECK(o.error == whole.error);
    CHECK(o.error_offset == whole.error_offset);
  }
  return whole;
}

}  // namespace

TEST_CASE("client: the request carries the nonce as Sec-WebSocket-Key (RFC 6455 §4.1)") {
  std::string request;
  client_handshake hs = started_client(&request);
  CHECK(request ==
        "GET /chat HTTP/1.1\r\n"
        "Host: server.example.com\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "Origin: http://example.com\r\n"
        "Sec-WebSocket-Protocol: chat, superchat\r\n"
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        "\r\n");
  CHECK(hs.key() == "dGhlIHNhbXBsZSBub25jZQ==");
  CHECK(hs.current() == client_state::need_more);
  std::string again;
  CHECK(hs.write_request(again, {.host = "h"}, sample_nonce()) == handshake_error::not_ready);
  CHECK(again.empty());
}

TEST_CASE("client: write_request() refuses invalid arguments and writes nothing") {
  const std::string_view dup[] = {"a", "a"};
  const std::string_view not_token[] = {"a b"};
  const rtwire::http1::header_field bad_header[] = {{"X-Bad", "1\r\n2"}};
  const std::vector<rtwire::ws::request_options> bad = {
      {.host = ""},
      {.host = "a b"},
      {.host = "h\r\nX: y"},
      {.host = "h", .target = "chat"},
      {.host = "h", .target = "/a b"},
      {.host = "h", .target = ""},
      {.host = "h", .origin = "o\n"},
      {.host = "h", .protocols = dup},
      {.host = "h", .protocols = not_token},
      {.host = "h", .extensions = "a/b"},
      {.host = "h", .headers = bad_header},
  };
  for (const auto& opts : bad) {
    client_handshake hs;
    std::string out;
    CHECK(hs.write_request(out, opts, sample_nonce()) == handshake_error::invalid_argument);
    CHECK(out.empty());
    CHECK(hs.current() == client_state::idle);
  }
  client_handshake idle;
  CHECK(idle.feed(rfc_response).status == client_state::idle);
}

TEST_CASE("client: RFC 6455 §1.3 example response is accepted") {
  const std::string frames = "\x81\x05Hello";
  const std::string input = std::string(rfc_response) + frames;
  const client_outcome o = client_all_splits(input);
  CHECK(o.state == client_state::accepted);
  CHECK(o.head_end == rfc_response.size());

  client_handshake hs = started_client();
  REQUIRE(hs.feed(input).status == client_state::accepted);
  CHECK(hs.protocol() == "chat");
  CHECK(hs.extensions().empty());
  CHECK(hs.response().status == 101);
}

TEST_CASE("client: an accepted extension must have been offered") {
  const std::string ok = replace(rfc_response, "\r\n\r\n",
                                 "\r\nSec-WebSocket-Extensions: permessage-deflate; "
                                 "client_max_window_bits=15\r\n\r\n");
  client_handshake hs = started_client();
  REQUIRE(hs.feed(ok).status == client_state::accepted);
  REQUIRE(hs.extensions().size() == 1);
  CHECK(hs.extensions()[0].name == "permessage-deflate");
  REQUIRE(hs.extensions()[0].params.size() == 1);
  CHECK(hs.extensions()[0].params[0].value == "15");
}

TEST_CASE("client: a non-101 answer is declined, not a violation") {
  const std::string resp = "HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!";
  const client_outcome o = client_all_splits(resp);
  CHECK(o.state == client_state::declined);
  CHECK(o.head_end == resp.size() - 5);
  CHECK(!o.error);
}

TEST_CASE("client: every violation of RFC 6455 §4.1 fails the connection") {
  struct fixture {
    const char* name;
    std::string response;
    std::error_code error;
  };
  const std::string r(rfc_response);
  const std::vector<fixture> fixtures = {
      {"HTTP/1.0", replace(r, "HTTP/1.1", "HTTP/1.0"),
       handshake_error::response_version_not_http11},
      {"no Upgrade", replace(r, "Upgrade: websocket\r\n", ""),
       handshake_error::response_missing_upgrade},
      {"Upgrade: h2c", replace(r, "Upgrade: websocket", "Upgrade: h2c"),
       handshake_error::response_missing_upgrade},
      {"no Connection", replace(r, "Connection: Upgrade\r\n", ""),
       handshake_error::response_missing_connection_upgrade},
      {"no accept", replace(r, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", ""),
       handshake_error::missing_accept},
      {"two accepts",
       replace(r, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
       handshake_error::duplicate_accept},
      {"wrong accept", replace(r, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "s3pPLMBiTxaQ9kYGzzhZRbK+xOp="),
       handshake_error::accept_mismatch},
      {"accept in other case",
       replace(r, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "S3PPLMBITXAQ9KYGZZHZRBK+XOO="),
       handshake_error::accept_mismatch},
      {"protocol not offered", replace(r, "Protocol: chat", "Protocol: mqtt"),
       handshake_error::unexpected_protocol},
      {"two protocols", replace(r, "Protocol: chat", "Protocol: chat, superchat"),
       handshake_error::unexpected_protocol},
      {"extension not offered",
       replace(r, "\r\n\r\n", "\r\nSec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n"),
       handshake_error::unexpected_extension},
      {"malformed extensions", replace(r, "\r\n\r\n", "\r\nSec-WebSocket-Extensions: a=\r\n\r\n"),
       handshake_error::unexpected_extension},
      {"HTTP syntax: bad status", replace(r, "101", "1O1"), rtwire::http1::error::bad_status},
  };
  for (const auto& f : fixtures) {
    INFO(f.name);
    const client_outcome o = client_all_splits(f.response);
    CHECK(o.state == client_state::failed);
    CHECK(o.error == f.error);
  }
  // Selecting a protocol when none was offered.
  client_handshake hs;
  std::string out;
  REQUIRE_FALSE(hs.write_request(out, {.host = "h"}, sample_nonce()));
  CHECK(hs.feed(rfc_response).status == client_state::failed);
  CHECK(hs.error().code == handshake_error::unexpected_protocol);
}

TEST_CASE("client: a server that closes mid-head fails the handshake") {
  client_handshake hs = started_client();
  CHECK(hs.feed(rfc_response.substr(0, 30)).status == client_state::need_more);
  CHECK(hs.finish() == client_state::failed);
  CHECK(hs.error().code == rtwire::http1::error::unexpected_end);
}

TEST_CASE("client and server wired to each other agree on protocol and extensions") {
  client_handshake client;
  const std::string_view protocols[] = {"v2.chat", "v1.chat"};
  std::string request;
  REQUIRE_FALSE(client.write_request(request,
                                     {.host = "127.0.0.1:9001",
                                      .target = "/room?id=7",
                                      .protocols = protocols,
                                      .extensions = "permessage-deflate"},
                                     sample_nonce()));
  server_handshake server;
  REQUIRE(server.feed(request).status == server_state::request_ready);
  CHECK(server.request().target == "/room?id=7");
  std::string response;
  REQUIRE_FALSE(server.accept(
      response, {.protocol = server.request().protocols[1], .extensions = "permessage-deflate"}));
  REQUIRE(client.feed(response).status == client_state::accepted);
  CHECK(client.protocol() == "v1.chat");
  REQUIRE(client.extensions().size() == 1);
  CHECK(client.extensions()[0].name == "permessage-deflate");
}

TEST_CASE("handshakes move with their parsed views intact") {
  // Fed in two pieces so the head lives in the parser's own buffer, which must move along.
  server_handshake first;
  REQUIRE(first.feed(rfc_request.substr(0, 50)).status == server_state::need_more);
  REQUIRE(first.feed(rfc_request.substr(50)).status == server_state::request_ready);
  server_handshake moved(std::move(first));
  CHECK(moved.request().host == "server.example.com");
  CHECK(moved.request().protocols.size() == 2);
  CHECK(moved.request().head->headers.size() == 7);
  std::string out;
  REQUIRE_FALSE(moved.accept(out, {.protocol = "superchat"}));
  CHECK(out.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);

  client_handshake client = started_client();
  client_handshake client_moved(std::move(client));
  REQUIRE(client_moved.feed(rfc_response).status == client_state::accepted);
  CHECK(client_moved.protocol() == "chat");
}
