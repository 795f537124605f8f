// permessage-deflate negotiation (RFC 7692 §5, §7.1), both roles. Every fixture travels through a
// real opening handshake (the Sec-WebSocket-Extensions field of a request or a 101 response),
// fed whole, byte by byte and split at every point; every split must give the same answer.
#include <rtwire/ws/deflate.hpp>
#include <rtwire/ws/handshake.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "support/splits.hpp"

using namespace rtwire::ws;

namespace {

std::string request_with(std::string_view extensions) {
  std::string r =
      "GET /chat HTTP/1.1\r\n"
      "Host: server.example.com\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n";
  if (!extensions.empty()) r += "Sec-WebSocket-Extensions: " + std::string(extensions) + "\r\n";
  return r + "\r\n";
}

// The answer of a server with `policy` to a request offering `extensions`, fed in `chunks`.
struct server_result {
  bool accepted;
  std::string response;
  deflate_params params;
  std::size_t offer_index;
  std::string wire;  // the 101 response written with the answer
};

server_result answer(const std::vector<std::string_view>& chunks, const deflate_policy& policy) {
  server_handshake hs;
  for (std::string_view c : chunks)
    if (hs.feed(c).status != server_handshake::state::need_more) break;
  REQUIRE(hs.current() == server_handshake::state::request_ready);
  const deflate_answer a = negotiate_deflate(hs.request().extensions, policy);
  std::string out;
  accept_options opts;
  if (a.accepted) opts.extensions = a.response();
  REQUIRE_FALSE(hs.accept(out, opts));
  return {a.accepted, std::string(a.response()), a.params, a.offer_index, out};
}

server_result answer_all_splits(std::string_view extensions, const deflate_policy& policy = {}) {
  const std::string req = request_with(extensions);
  const server_result whole = answer({req}, policy);
  for (const auto& split : rtwire::test::all_splits(req)) {
    INFO(split.label);
    const server_result r = answer(split.chunks, policy);
    CHECK(r.accepted == whole.accepted);
    CHECK(r.response == whole.response);
    CHECK(r.params == whole.params);
    CHECK(r.offer_index == whole.offer_index);
  }
  if (whole.accepted)
    CHECK(whole.wire.find("Sec-WebSocket-Extensions: " + whole.response + "\r\n") !=
          std::string::npos);
  else
    CHECK(whole.wire.find("Sec-WebSocket-Extensions") == std::string::npos);
  return whole;
}

deflate_params params(bool snct, bool cnct, std::uint8_t smwb, std::uint8_t cmwb) {
  return {.server_no_context_takeover = snct,
          .client_no_context_takeover = cnct,
          .server_max_window_bits = smwb,
          .client_max_window_bits = cmwb};
}

struct server_case {
  const char* what;
  std::string_view offer;
  deflate_policy policy;
  std::optional<std::string_view> response;  // nullopt: declined
  deflate_params params;
  std::size_t offer_index = 0;
};

}  // namespace

TEST_CASE("server: answers permessage-deflate offers per RFC 7692 §7.1 (every split point)") {
  const deflate_policy dflt;
  const server_case cases[] = {
      {"plain offer", "permessage-deflate", dflt, "permessage-deflate", params(0, 0, 15, 15)},
      {"what browsers send", "permessage-deflate; client_max_window_bits", dflt,
       "permessage-deflate", params(0, 0, 15, 15)},
      {"server_no_context_takeover is echoed (§7.1.1.1)",
       "permessage-deflate; server_no_context_takeover", dflt,
       "permessage-deflate; server_no_context_takeover", params(1, 0, 15, 15)},
      {"client_no_context_takeover offered: the client resets, nothing to answer",
       "permessage-deflate; client_no_context_takeover", dflt,
       "permessage-deflate; client_no_context_takeover", params(0, 1, 15, 15)},
      {"server_max_window_bits=10 is answered with 10 (§7.1.2.1)",
       "permessage-deflate; server_max_window_bits=10", dflt,
       "permessage-deflate; server_max_window_bits=10", params(0, 0, 10, 15)},
      {"quoted value", "permessage-deflate; server_max_window_bits=\"12\"", dflt,
       "permessage-deflate; server_max_window_bits=12", params(0, 0, 12, 15)},
      {"policy window smaller than offered",
       "permessage-deflate; server_max_window_bits=13",
       {.server_max_window_bits = 11},
       "permessage-deflate; server_max_window_bits=11",
       params(0, 0, 11, 15)},
      {"policy window sent unasked (§7.1.2.1 allows it)",
       "permessage-deflate",
       {.server_max_window_bits = 12},
       "permessage-deflate; server_max_window_bits=12",
       params(0, 0, 12, 15)},
      {"client_max_window_bits=9 offered: the client uses 9, nothing to answer",
       "permessage-deflate; client_max_window_bits=9", dflt, "permessage-deflate",
       params(0, 0, 15, 9)},
      {"policy limits the client's window (offer without value)",
       "permessage-deflate; client_max_window_bits",
       {.client_max_window_bits = 10},
       "permessage-deflate; client_max_window_bits=10",
       params(0, 0, 15, 10)},
      {"policy limits the client's window below its offer",
       "permessage-deflate; client_max_window_bits=12",
       {.client_max_window_bits = 10},
       "permessage-deflate; client_max_window_bits=10",
       params(0, 0, 15, 10)},
      {"the client's offer below the policy stands",
       "permessage-deflate; client_max_window_bits=9",
       {.client_max_window_bits = 10},
       "permessage-deflate",
       params(0, 0, 15, 9)},
      {"no client_max_window_bits offered: never answered (§7.1.2.2)",
       "permessage-deflate",
       {.client_max_window_bits = 10},
       "permessage-deflate",
       params(0, 0, 15, 15)},
      {"...unless the policy requires it: declined",
       "permessage-deflate",
       {.client_max_window_bits = 10, .require_client_window = true},
       std::nullopt,
       {}},
      {"policy asks the client to reset (§7.1.1.2 allows it)",
       "permessage-deflate",
       {.client_no_context_takeover = true},
       "permessage-deflate; client_no_context_takeover",
       params(0, 1, 15, 15)},
      {"policy resets the server",
       "permessage-deflate",
       {.server_no_context_takeover = true},
       "permessage-deflate; server_no_context_takeover",
       params(1, 0, 15, 15)},
      {"every parameter",
       "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
       "server_max_window_bits=9; client_max_window_bits=11",
       dflt,
       "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
       "server_max_window_bits=9",
       params(1, 1, 9, 11)},
      {"policy clamps 8 to 9",
       "permessage-deflate",
       {.server_max_window_bits = 8},
       "permessage-deflate; server_max_window_bits=9",
       params(0, 0, 9, 15)},
      {"disabled policy", "permessage-deflate", {.enabled = false}, std::nullopt, {}},
      {"no offer", "", dflt, std::nullopt, {}},
      {"another extension only", "x-webkit-deflate-frame", dflt, std::nullopt, {}},
      // Unacceptable offers are declined (the next is tried), never a handshake error.
      {"unknown parameter", "permessage-deflate; foo", dflt, std::nullopt, {}},
      {"duplicate parameter",
       "permessage-deflate; server_no_context_takeover; "
       "server_no_context_takeover",
       dflt,
       std::nullopt,
       {}},
      {"duplicate window",
       "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
       dflt,
       std::nullopt,
       {}},
      {"no_context_takeover with a value",
       "permessage-deflate; client_no_context_takeover=1",
       dflt,
       std::nullopt,
       {}},
      {"server_max_window_bits without a value",
       "permessage-deflate; server_max_window_bits",
       dflt,
       std::nullopt,
       {}},
      {"window 7", "permessage-deflate; server_max_window_bits=7", dflt, std::nullopt, {}},
      {"window 16", "permessage-deflate; client_max_window_bits=16", dflt, std::nullopt, {}},
      {"leading zero", "permessage-deflate; server_max_window_bits=09", dflt, std::nullopt, {}},
      {"not a number", "permessage-deflate; server_max_window_bits=ten", dflt, std::nullopt, {}},
      {"a response-only form is fine in an offer too",
       "permessage-deflate; client_max_window_bits=15", dflt, "permessage-deflate",
       params(0, 0, 15, 15)},
      // The zlib 8-bit rule: this server cannot compress with 8, so that offer is declined.
      {"server_max_window_bits=8 declined",
       "permessage-deflate; server_max_window_bits=8",
       dflt,
       std::nullopt,
       {}},
      {"client_max_window_bits=8 is fine (the client compresses; we inflate with 9)",
       "permessage-deflate; client_max_window_bits=8", dflt, "permessage-deflate",
       params(0, 0, 15, 8)},
      // Several offers, in order of preference (§5): the first acceptable one wins.
      {"first offer wins", "permessage-deflate; server_max_window_bits=10, permessage-deflate",
       dflt, "permessage-deflate; server_max_window_bits=10", params(0, 0, 10, 15)},
      {"an invalid first offer falls back to the second",
       "permessage-deflate; bogus, permessage-deflate; client_max_window_bits", dflt,
       "permessage-deflate", params(0, 0, 15, 15), 1},
      {"8 first, then 9",
       "permessage-deflate; server_max_window_bits=8, "
       "permessage-deflate; server_max_window_bits=9",
       dflt, "permessage-deflate; server_max_window_bits=9", params(0, 0, 9, 15), 1},
      {"other extensions around it", "x-foo; a=1, permessage-deflate; client_max_window_bits, y",
       dflt, "permessage-deflate", params(0, 0, 15, 15)},
      {"required client window: the offer without it is skipped",
       "permessage-deflate, permessage-deflate; client_max_window_bits",
       {.client_max_window_bits = 12, .require_client_window = true},
       "permessage-deflate; client_max_window_bits=12",
       params(0, 0, 15, 12),
       1},
  };
  for (const server_case& c : cases) {
    INFO(c.what << ": " << c.offer);
    const server_result r = answer_all_splits(c.offer, c.policy);
    REQUIRE(r.accepted == c.response.has_value());
    if (!c.response) continue;
    CHECK(r.response == *c.response);
    CHECK(r.params == c.params);
    CHECK(r.offer_index == c.offer_index);
  }
}

TEST_CASE("parse_deflate_element reports the first problem") {
  const auto parse = [](std::vector<extension_param> ps, bool offer) {
    return parse_deflate_element({permessage_deflate, ps}, offer).issue;
  };
  using i = deflate_param_issue;
  CHECK(parse({{"x", std::nullopt}}, true) == i::unknown_parameter);
  CHECK(parse({{"Server_No_Context_Takeover", std::nullopt}}, true) == i::unknown_parameter);
  CHECK(parse({{"server_max_window_bits", "9"}, {"server_max_window_bits", "9"}}, true) ==
        i::duplicate_parameter);
  CHECK(parse({{"client_max_window_bits", std::nullopt}}, true) == i::none);
  CHECK(parse({{"client_max_window_bits", std::nullopt}}, false) == i::invalid_value);
  CHECK(parse({{"server_no_context_takeover", ""}}, true) == i::invalid_value);
  for (std::string_view v : {"8", "9", "10", "11", "12", "13", "14", "15"})
    CHECK(parse({{"server_max_window_bits", v}}, false) == i::none);
  for (std::string_view v : {"", "0", "7", "16", "08", "015", "1", "99", "+9", "9.0"})
    CHECK(parse({{"server_max_window_bits", v}}, false) == i::invalid_value);
}

// ---------------------------------------------------------------------------------------------
// Client role
// ---------------------------------------------------------------------------------------------

namespace {

struct client_result {
  std::error_code ec;
  bool compressed;
  deflate_params params;
};

client_result client_run(const deflate_offer& offer, const std::vector<std::string_view>& chunks) {
  client_handshake hs;
  std::string out;
  std::array<std::byte, 16> nonce{};
  REQUIRE_FALSE(hs.write_request(out, {.host = "h", .extensions = offer.text()}, nonce));
  CHECK(out.find("Sec-WebSocket-Extensions: " + std::string(offer.text()) + "\r\n") !=
        std::string::npos);
  for (std::string_view c : chunks)
    if (hs.feed(c).status != client_handshake::state::need_more) break;
  REQUIRE(hs.current() == client_handshake::state::accepted);
  client_result r{};
  r.ec = accept_deflate_response(hs.extensions(), offer, r.params, r.compressed);
  return r;
}

client_result client_all_splits(const deflate_offer& offer, std::string_view element) {
  // The accept key of the all-zero nonce.
  client_handshake probe;
  std::string ignored;
  std::array<std::byte, 16> nonce{};
  REQUIRE_FALSE(probe.write_request(ignored, {.host = "h"}, nonce));
  std::array<char, accept_key_size> key{};
  compute_accept_key(probe.key(), key.data());
  std::string resp =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
      std::string(key.data(), key.size()) + "\r\n";
  if (!element.empty()) resp += "Sec-WebSocket-Extensions: " + std::string(element) + "\r\n";
  resp += "\r\n";
  const client_result whole = client_run(offer, {resp});
  for (const auto& split : rtwire::test::all_splits(resp)) {
    INFO(split.label);
    const client_result r = client_run(offer, split.chunks);
    CHECK(r.ec == whole.ec);
    CHECK(r.compressed == whole.compressed);
    CHECK(r.params == whole.params);
  }
  return whole;
}

struct client_case {
  const char* what;
  deflate_offer_options offer;
  std::string_view response;
  bool ok;
  bool compressed;
  deflate_params params;
};

}  // namespace

TEST_CASE("client: make_deflate_offer writes every parameter") {
  CHECK(make_deflate_offer({}).text() == "permessage-deflate; client_max_window_bits");
  CHECK(make_deflate_offer({.client_max_window_bits = 10}).text() ==
        "permessage-deflate; client_max_window_bits=10");
  CHECK(make_deflate_offer({.client_max_window_bits = 8}).text() ==
        "permessage-deflate; client_max_window_bits=9");
  CHECK(make_deflate_offer({.client_max_window_bits = 12,
                            .server_max_window_bits = 8,
                            .client_no_context_takeover = true,
                            .server_no_context_takeover = true})
            .text() ==
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=9; client_max_window_bits=12");
}

TEST_CASE("client: validates the server's answer per RFC 7692 §7.1 (every split point)") {
  const client_case cases[] = {
      {"declined: no element", {}, "", true, false, {}},
      {"accepted plainly", {}, "permessage-deflate", true, true, params(0, 0, 15, 15)},
      {"server resets",
       {},
       "permessage-deflate; server_no_context_takeover",
       true,
       true,
       params(1, 0, 15, 15)},
      {"server asks the client to reset",
       {},
       "permessage-deflate; client_no_context_takeover",
       true,
       true,
       params(0, 1, 15, 15)},
      {"server window unasked",
       {},
       "permessage-deflate; server_max_window_bits=10",
       true,
       true,
       params(0, 0, 10, 15)},
      {"server window 8 (we inflate with 9)",
       {},
       "permessage-deflate; server_max_window_bits=8",
       true,
       true,
       params(0, 0, 8, 15)},
      {"client window lowered",
       {},
       "permessage-deflate; client_max_window_bits=10",
       true,
       true,
       params(0, 0, 15, 10)},
      {"offered client window kept",
       {.client_max_window_bits = 11},
       "permessage-deflate",
       true,
       true,
       params(0, 0, 15, 11)},
      {"offered server window answered",
       {.server_max_window_bits = 12},
       "permessage-deflate; server_max_window_bits=11",
       true,
       true,
       params(0, 0, 11, 15)},
      {"offered takeover answered",
       {.server_no_context_takeover = true},
       "permessage-deflate; server_no_context_takeover",
       true,
       true,
       params(1, 0, 15, 15)},
      {"offered client reset kept",
       {.client_no_context_takeover = true},
       "permessage-deflate",
       true,
       true,
       params(0, 1, 15, 15)},
      // _Fail the WebSocket Connection_ (RFC 7692 §7.1).
      {"unknown parameter", {}, "permessage-deflate; foo", false, false, {}},
      {"duplicate parameter",
       {},
       "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
       false,
       false,
       {}},
      {"client window without value",
       {},
       "permessage-deflate; client_max_window_bits",
       false,
       false,
       {}},
      {"invalid window", {}, "permessage-deflate; server_max_window_bits=16", false, false, {}},
      {"server window larger than offered",
       {.server_max_window_bits = 10},
       "permessage-deflate; server_max_window_bits=11",
       false,
       false,
       {}},
      {"offered server window not answered",
       {.server_max_window_bits = 10},
       "permessage-deflate",
       false,
       false,
       {}},
      {"offered server reset not answered",
       {.server_no_context_takeover = true},
       "permessage-deflate",
       false,
       false,
       {}},
      {"client window larger than offered",
       {.client_max_window_bits = 10},
       "permessage-deflate; client_max_window_bits=11",
       false,
       false,
       {}},
      {"client window 8: zlib cannot compress with it",
       {},
       "permessage-deflate; client_max_window_bits=8",
       false,
       false,
       {}},
      {"accepted twice", {}, "permessage-deflate, permessage-deflate", false, false, {}},
  };
  for (const client_case& c : cases) {
    INFO(c.what << ": " << c.response);
    const deflate_offer offer = make_deflate_offer(c.offer);
    const client_result r = client_all_splits(offer, c.response);
    if (!c.ok) {
      CHECK(r.ec == handshake_error::bad_deflate_response);
      CHECK(r.ec == rtwire::condition::protocol_violation);
      continue;
    }
    CHECK_FALSE(r.ec);
    CHECK(r.compressed == c.compressed);
    if (c.compressed) CHECK(r.params == c.params);
  }
}

TEST_CASE("a server's answer is accepted by a client that made the offer") {
  // Every combination of client offer and server policy: what the server answers, the client
  // accepts, and both sides agree on the same parameters.
  for (int mask = 0; mask < 16; ++mask) {
    for (const std::uint8_t cw : std::array<std::uint8_t, 3>{9, 12, 15}) {
      for (const std::uint8_t sw : std::array<std::uint8_t, 3>{0, 9, 15}) {
        for (const std::uint8_t pw : std::array<std::uint8_t, 3>{9, 11, 15}) {
          const deflate_offer offer =
              make_deflate_offer({.client_max_window_bits = cw,
                                  .server_max_window_bits = sw,
                                  .client_no_context_takeover = (mask & 1) != 0,
                                  .server_no_context_takeover = (mask & 2) != 0});
          // Parse the offer text the way the server would: through a request.
          server_handshake hs;
          const std::string req = request_with(offer.text());
          REQUIRE(hs.feed(req).status == server_handshake::state::request_ready);
          const deflate_answer a = negotiate_deflate(
              hs.request().extensions, {.server_max_window_bits = pw,
                                        .client_max_window_bits = pw,
                                        .server_no_context_takeover = (mask & 4) != 0,
                                        .client_no_context_takeover = (mask & 8) != 0});
          REQUIRE(a.accepted);
          // And the answer the way the client would.
          std::vector<extension> exts;
          std::vector<extension_param> params_storage;
          exts.reserve(4);
          params_storage.reserve(8);
          REQUIRE(rtwire::ws::detail::parse_extensions(a.response(), exts, params_storage) ==
                  handshake_error{});
          deflate_params p;
          bool compressed = false;
          INFO(offer.text() << " -> " << a.response());
          REQUIRE_FALSE(accept_deflate_response(exts, offer, p, compressed));
          CHECK(compressed);
          CHECK(p == a.params);
        }
      }
    }
  }
}
