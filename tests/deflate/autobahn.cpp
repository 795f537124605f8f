// Autobahn TestSuite-style permessage-deflate matrices, between two rtwire connections wired to
// each other (client and server, each with its own zlib codec):
//  12.x: message sizes 16 B - 256 KiB, text and binary, sent whole or in fragments of 64 B - 4 KiB,
//        received whole and streaming, both directions;
//  13.x: every combination of window bits (9, 12, 15 per side) and context takeover (per side),
//        agreed through the real negotiation, several messages each way (so takeover matters).
// Plus the memory each codec holds, per configuration.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "catch.hpp"
#include "deflate/harness.hpp"

using namespace rtwire::test::deflate;

namespace {

// Autobahn's payloads are random or repetitive text; this mixes both (compressible JSON-ish
// text, with a pseudo-random part so each message differs), and random bytes for binary.
std::string payload(std::size_t size, bool text, std::uint32_t seed) {
  std::string s;
  s.reserve(size);
  std::uint32_t x = seed * 2654435761u + 1;
  const char* words[] = {"{\"type\":\"message\",",
                         "\"room\":\"lobby\",",
                         "\"from\":\"alice\",",
                         "\"text\":\"hello ",
                         "world\"}",
                         " \xc3\xa9t\xc3\xa9 ",
                         "\xe2\x82\xac"};
  while (s.size() < size) {
    x = x * 1664525u + 1013904223u;
    if (text) {
      const char* w = words[(x >> 16) % 7];
      s += w;
      s += std::to_string(x % 1000);
    } else {
      s.push_back(static_cast<char>(x >> 24));
    }
  }
  if (text) {
    // Cut at a code-point boundary.
    s.resize(size);
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80)
      s.pop_back();
    if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
  } else {
    s.resize(size);
  }
  return s;
}

struct pair_config {
  deflate_params params;
  std::size_t fragment = 0;
  delivery mode = delivery::whole_message;
};

// Sends `messages` from `from_role`'s connection to its peer, pumping bytes across in 1000-byte
// reads, and returns what the peer received.
std::vector<std::string> exchange(const pair_config& cfg, role from_role,
                                  const std::vector<std::pair<bool, std::string>>& messages) {
  counting_keys keys;
  const role to_role = from_role == role::client ? role::server : role::client;
  connection from(from_role, {.fragment_size = cfg.fragment, .keys = keys},
                  make_deflate_codec(cfg.params, from_role));
  connection to(to_role, {.mode = cfg.mode, .keys = keys}, make_deflate_codec(cfg.params, to_role));
  std::vector<std::string> got;
  std::string partial;
  for (const auto& [text, m] : messages) {
    if (text)
      REQUIRE_FALSE(from.send_text(m));
    else
      REQUIRE_FALSE(from.send_binary(rtwire::as_bytes(m)));
    std::string wire(rtwire::as_chars(from.output()));
    from.consume_output(wire.size());
    for (std::size_t at = 0; at < wire.size(); at += 1000) {
      const std::size_t n = std::min<std::size_t>(1000, wire.size() - at);
      REQUIRE_FALSE(to.feed(wire.data() + at, n));
      for (event ev = to.next(); ev.type != event_type::need_more; ev = to.next()) {
        REQUIRE(ev.type != event_type::error);
        if (ev.type != event_type::text && ev.type != event_type::binary) continue;
        partial.append(ev.text());
        if (ev.message_finished) {
          got.push_back((ev.type == event_type::text ? "t" : "b") + partial);
          partial.clear();
        }
      }
    }
  }
  return got;
}

std::vector<std::string> expected(const std::vector<std::pair<bool, std::string>>& messages) {
  std::vector<std::string> out;
  for (const auto& [text, m] : messages)
    out.push_back((text ? "t" : "b") + m);
  return out;
}

}  // namespace

TEST_CASE("12.x: sizes x fragmentation x text/binary, both directions, both delivery modes") {
  const std::size_t sizes[] = {16, 64, 256, 1024, 4096, 16384, 65536, 131072, 262144};
  const std::size_t fragments[] = {0, 64, 256, 1024, 4096};
  for (const std::size_t size : sizes) {
    for (const std::size_t fragment : fragments) {
      if (fragment != 0 && size / fragment > 1024) continue;  // Autobahn's 12.x stays below
      for (const bool text : {true, false}) {
        std::vector<std::pair<bool, std::string>> messages;
        for (std::uint32_t i = 0; i < 3; ++i)
          messages.emplace_back(text, payload(size, text, i + static_cast<std::uint32_t>(size)));
        for (const role from : {role::client, role::server}) {
          for (const delivery mode : {delivery::whole_message, delivery::streaming}) {
            INFO("size " << size << " fragment " << fragment << " text " << text << " from "
                         << (from == role::client ? "client" : "server") << " mode "
                         << static_cast<int>(mode));
            CHECK(exchange({.params = {}, .fragment = fragment, .mode = mode}, from, messages) ==
                  expected(messages));
          }
        }
      }
    }
  }
}

TEST_CASE("13.x: window bits x context takeover, negotiated, both directions") {
  const std::array<std::uint8_t, 3> windows = {9, 12, 15};
  std::vector<std::pair<bool, std::string>> messages;
  for (std::uint32_t i = 0; i < 8; ++i)
    messages.emplace_back(i % 2 == 0, payload(i < 4 ? 200 : 20000, i % 2 == 0, i));
  for (const std::uint8_t cw : windows) {
    for (const std::uint8_t sw : windows) {
      for (int takeover = 0; takeover < 4; ++takeover) {
        // Negotiate like a real pair: the client offers, the server (policy) answers.
        const deflate_offer offer =
            make_deflate_offer({.client_max_window_bits = cw,
                                .server_max_window_bits = sw,
                                .client_no_context_takeover = (takeover & 1) != 0,
                                .server_no_context_takeover = (takeover & 2) != 0});
        std::vector<extension> exts;
        std::vector<extension_param> ps;
        exts.reserve(4);
        ps.reserve(8);
        REQUIRE(rtwire::ws::detail::parse_extensions(offer.text(), exts, ps) == handshake_error{});
        const deflate_answer a = negotiate_deflate(exts, {});
        REQUIRE(a.accepted);
        CHECK(a.params.client_max_window_bits == cw);
        CHECK(a.params.server_max_window_bits == sw);
        for (const role from : {role::client, role::server}) {
          INFO(offer.text() << " -> " << a.response() << " from "
                            << (from == role::client ? "client" : "server"));
          CHECK(exchange({.params = a.params}, from, messages) == expected(messages));
          CHECK(exchange({.params = a.params, .fragment = 777, .mode = delivery::streaming}, from,
                         messages) == expected(messages));
        }
      }
    }
  }
}

TEST_CASE("memory per connection: what zlib holds per direction") {
  const auto measure = [](const deflate_params& p, const deflate_codec_options& o) {
    deflate_codec server(p, role::server, o);
    deflate_codec client(p, role::client, o);
    const std::string text = payload(4096, true, 1);
    std::vector<std::byte> out;
    REQUIRE(server.compress(rtwire::as_bytes(text), true, out));
    const std::size_t deflate_bytes = server.allocated_bytes();
    std::string inflated(8192, '\0');
    const auto r = client.decompress(out, std::as_writable_bytes(std::span(inflated)), true);
    REQUIRE(r.status == compression::status::message_end);
    REQUIRE(inflated.substr(0, r.produced) == text);
    return std::pair{deflate_bytes, client.allocated_bytes()};
  };
  const auto [d15, i15] = measure({}, {});
  const auto [d9, i9] =
      measure({.server_max_window_bits = 9, .client_max_window_bits = 9}, {.mem_level = 1});
  WARN("deflate w15 memLevel 8: " << d15 << " B; inflate: " << i15 << " B; deflate w9 "
                                  << "memLevel 1: " << d9 << " B; inflate (w9 agreed): " << i9
                                  << " B");
  // zlib's documented formulas: deflate (1 << (w+2)) + (1 << (memLevel+9)) + its state,
  // inflate (1 << w) + its state (~7 KiB).
  CHECK(d15 >= (1u << 17) + (1u << 17));
  CHECK(d15 <= (1u << 17) + (1u << 17) + 8 * 1024);
  CHECK(i15 >= (1u << 15));
  CHECK(i15 <= (1u << 15) + 8 * 1024);
  CHECK(d9 <= (1u << 11) + (1u << 10) + 8 * 1024);
  // Inflating always uses a 15-bit window (split-invariance, see deflate_codec.hpp).
  CHECK(i9 == i15);
  // Released between messages when there is no context takeover and the option asks for it.
  deflate_codec c({.server_no_context_takeover = true}, role::server,
                  {.release_between_messages = true});
  std::vector<std::byte> out;
  REQUIRE(c.compress(rtwire::as_bytes(std::string_view("hello")), true, out));
  CHECK(c.allocated_bytes() == 0);
}
